// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_spec.c - libFuzzer target: the spec parser, and the DOT writer on
 * what it accepts. Any input must give a spec or one error line.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmrv/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kmrv_spec *spec;
	char err[512];
	char *text;

	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	err[0] = '\0';
	spec = kmrv_spec_parse(text, "fuzz.spec", err, sizeof(err));
	if (spec) {
		FILE *null = fopen("/dev/null", "w");

		if (null) {
			kmrv_spec_write_dot(spec, null);
			fclose(null);
		}
		kmrv_spec_free(spec);
	} else if (!err[0] || strchr(err, '\n')) {
		abort();	/* an error must be one non-empty line */
	}
	free(text);
	return 0;
}
