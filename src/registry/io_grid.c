/*
 * io_grid.c — the table of cells every spreadsheet import goes through
 * (io_int.h): CSV (io_import.c) and XLSX (io_xlsx.c) fill a grid, and
 * io_import.c reads rows out of it. The grid holds pointers; the texts
 * belong to the source (a yj_csv) or to the grid's own arena.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "registry/io_int.h"

void reg_grid_init(io_grid *g)
{
	memset(g, 0, sizeof *g);
}

void reg_grid_row(io_grid *g, long row_no)
{
	g->row_no = yj_grow(g->row_no, &g->row_cap, g->rows + 1, sizeof *g->row_no);
	g->row_start = yj_grow(g->row_start, &g->start_cap, g->rows + 2, sizeof *g->row_start);
	g->row_no[g->rows] = row_no;
	g->row_start[g->rows] = g->ncell;
	g->rows++;
	g->row_start[g->rows] = g->ncell;
}

void reg_grid_cell(io_grid *g, const char *s)
{
	assert(g->rows > 0);
	g->cell = yj_grow(g->cell, &g->cell_cap, g->ncell + 1, sizeof *g->cell);
	g->cell[g->ncell++] = s;
	g->row_start[g->rows] = g->ncell;
}

const char *reg_grid_text(io_grid *g, const char *s, size_t n)
{
	if (!n)
		return "";
	if (!g->text)
		g->text = arena_new(64 * 1024);
	return arena_strndup(g->text, s, n);
}

size_t reg_grid_cols(const io_grid *g, size_t r)
{
	return r < g->rows ? g->row_start[r + 1] - g->row_start[r] : 0;
}

const char *reg_grid_at(const io_grid *g, size_t r, size_t c)
{
	if (c >= reg_grid_cols(g, r))
		return "";
	return g->cell[g->row_start[r] + c];
}

bool reg_grid_blank(const io_grid *g, size_t r)
{
	size_t n = reg_grid_cols(g, r);
	for (size_t c = 0; c < n; c++)
		if (*g->cell[g->row_start[r] + c])
			return false;
	return true;
}

void reg_grid_free(io_grid *g)
{
	free(g->row_no);
	free(g->row_start);
	free(g->cell);
	if (g->text)
		arena_free(g->text);
	memset(g, 0, sizeof *g);
}
