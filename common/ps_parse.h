/*  ps_parse - strict number and boolean parsing.

    atoi/atol are banned (STYLE.md §6): they accept "12abc" and overflow
    silently. These helpers take the whole string or fail, check errno and
    the range, and leave *out untouched on failure.                        */
#ifndef PS_PARSE_H_INCLUDED
#define PS_PARSE_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>

/* Parses a base-10 integer in [min, max]. Returns 0, or -1. */
int ps_parse_int64(const char *text, int64_t min, int64_t max, int64_t *out);

/* Parses a finite decimal number in [min, max]. Returns 0, or -1. */
int ps_parse_double(const char *text, double min, double max, double *out);

/* Parses true/false, yes/no, on/off, 1/0 (any case). Returns 0, or -1. */
int ps_parse_bool(const char *text, bool *out);

#endif
