/*
 * credit_code.c — the GB 32100-2015 check of unified social credit codes
 * (统一社会信用代码): 18 characters, the 3rd to 8th the registering
 * authority's division code, the last a check character (mod 31).
 */
#include <string.h>

#include "registry/registry.h"

/* GB 32100-2015 code characters: digits and capitals without I O Z S V. */
static const char CREDIT_CHARSET[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

bool reg_credit_code_valid(const char *code)
{
	static const int weights[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
	if (!code || strlen(code) != 18)
		return false;
	int sum = 0;
	for (int i = 0; i < 18; i++) {
		const char *at = strchr(CREDIT_CHARSET, code[i]);
		if (!at)
			return false;
		/* positions 3..8: the registering authority's administrative division code */
		if (i >= 2 && i <= 7 && !(code[i] >= '0' && code[i] <= '9'))
			return false;
		if (i < 17)
			sum += (int)(at - CREDIT_CHARSET) * weights[i];
	}
	return code[17] == CREDIT_CHARSET[(31 - sum % 31) % 31];
}
