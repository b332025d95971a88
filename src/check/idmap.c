// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>

#include "idmap.h"

static int grow(struct idmap *m)
{
	size_t cap = m->slots ? (m->mask + 1) * 2 : 64;
	struct idmap_slot *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -1;
	for (size_t i = 0; m->slots && i <= m->mask; i++) {
		size_t j;

		if (!m->slots[i].used)
			continue;
		j = kmrv_mix64(m->slots[i].key) & (cap - 1);
		while (slots[j].used)
			j = (j + 1) & (cap - 1);
		slots[j] = m->slots[i];
	}
	free(m->slots);
	m->slots = slots;
	m->mask = cap - 1;
	return 0;
}

/* @key is not in the map (idmap_get looked). */
int64_t idmap_add(struct idmap *m, uint64_t key, uint32_t next_index, int *added)
{
	size_t i;

	if ((!m->slots || (m->count + 1) * 4 > (m->mask + 1) * 3) && grow(m))
		return -1;
	for (i = kmrv_mix64(key) & m->mask; m->slots[i].used; i = (i + 1) & m->mask)
		;
	m->slots[i].used = 1;
	m->slots[i].key = key;
	m->slots[i].index = next_index;
	m->count++;
	*added = 1;
	return next_index;
}

int64_t idmap_find(const struct idmap *m, uint64_t key)
{
	if (!m->slots)
		return -1;
	for (size_t i = kmrv_mix64(key) & m->mask; m->slots[i].used; i = (i + 1) & m->mask)
		if (m->slots[i].key == key)
			return m->slots[i].index;
	return -1;
}

void idmap_release(struct idmap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->mask = 0;
	m->count = 0;
}
