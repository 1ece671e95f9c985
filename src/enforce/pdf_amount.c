/*
 * pdf_amount.c — numbers as a decision prints them: amounts of yuan in
 * capital numerals (大写, against alteration), small counts in ordinary
 * Chinese numerals (十五日), and amounts in grouped digits (25,000).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "enforce/enf_pdf.h"
#include "enforce/pdf_int.h"

/* ---- amounts in capital numerals (大写) ---------------------------------- */

static const char *const CAP_DIGIT[10] = {"零", "壹", "贰", "叁", "肆", "伍", "陆", "柒", "捌", "玖"};
static const char *const CAP_POS[4] = {"", "拾", "佰", "仟"};
static const char *const CAP_GROUP[3] = {"", "万", "亿"};

void enf_amount_chinese(double yuan, char *out, size_t cap)
{
	if (!out || cap == 0)
		return;
	out[0] = 0;
	if (!isfinite(yuan) || yuan < 0 || yuan >= 1e12)
		return;
	long long fen_total = llround(yuan * 100);
	if (fen_total >= 100000000000000LL) /* rounded up to 10^12 */
		return;
	long long whole = fen_total / 100;
	int jiao = (int)(fen_total / 10 % 10), fen = (int)(fen_total % 10);

	strbuf b;
	strbuf_init(&b);
	if (whole > 0) {
		int digit[12], ndigits = 0;
		for (long long w = whole; w > 0; w /= 10)
			digit[ndigits++] = (int)(w % 10);
		/* A run of zeros reads as one 零 before the next non-zero digit,
		 * except zeros at the end of a 万/亿 group, which the group's unit
		 * absorbs (壹拾万柒仟, not 壹拾万零柒仟; both are allowed). */
		bool zero_pending = false;
		for (int i = ndigits - 1; i >= 0; i--) {
			int pos = i % 4, group = i / 4;
			if (digit[i] == 0) {
				zero_pending = true;
			} else {
				if (zero_pending)
					strbuf_puts(&b, "零");
				zero_pending = false;
				strbuf_puts(&b, CAP_DIGIT[digit[i]]);
				strbuf_puts(&b, CAP_POS[pos]);
			}
			if (pos == 0 && group > 0) {
				bool group_nonzero = false;
				for (int k = i; k < i + 4 && k < ndigits; k++)
					group_nonzero |= digit[k] != 0;
				if (group_nonzero) {
					strbuf_puts(&b, CAP_GROUP[group]);
					zero_pending = false;
				}
			}
		}
		strbuf_puts(&b, "元");
	}
	if (jiao == 0 && fen == 0) {
		strbuf_puts(&b, whole == 0 ? "零元整" : "整");
	} else {
		if (jiao) {
			strbuf_puts(&b, CAP_DIGIT[jiao]);
			strbuf_puts(&b, "角");
		} else if (whole > 0) {
			strbuf_puts(&b, "零"); /* 壹拾元零伍分 */
		}
		if (fen) {
			strbuf_puts(&b, CAP_DIGIT[fen]);
			strbuf_puts(&b, "分");
		}
	}
	snprintf(out, cap, "%s", b.data);
	yj_utf8_trim(out);
	strbuf_free(&b);
}

void enf_pdf_chinese_count(int n, char *out, size_t cap)
{
	static const char *const d[10] = {"零", "一", "二", "三", "四", "五", "六", "七", "八", "九"};
	int h = n / 100, t = n / 10 % 10, u = n % 10;
	if (n < 1 || n > 999) {
		snprintf(out, cap, "%d", n);
		return;
	}
	if (n < 10)
		snprintf(out, cap, "%s", d[u]);
	else if (n < 20)
		snprintf(out, cap, "十%s", u ? d[u] : "");
	else if (n < 100)
		snprintf(out, cap, "%s十%s", d[t], u ? d[u] : "");
	else if (t == 0)
		snprintf(out, cap, "%s百%s%s", d[h], u ? "零" : "", u ? d[u] : "");
	else
		snprintf(out, cap, "%s百%s十%s", d[h], d[t], u ? d[u] : "");
}

void enf_pdf_amount_digits(double yuan, char *out, size_t cap)
{
	long long fen_total = llround(yuan * 100), whole = fen_total / 100;
	char digits[32], grouped[48];
	int n = snprintf(digits, sizeof digits, "%lld", whole), k = 0;
	for (int i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			grouped[k++] = ',';
		grouped[k++] = digits[i];
	}
	grouped[k] = 0;
	if (fen_total % 100)
		snprintf(out, cap, "%s.%02lld", grouped, fen_total % 100);
	else
		snprintf(out, cap, "%s", grouped);
}
