// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Evidence of recorded flows, by flow identity, in an open-addressing table. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evidence_cache.h"

struct slot {
	uint64_t key;		/* hash of the flow identity; 0 empty */
	char *evidence;
};

struct ea_evidence_cache {
	struct slot *slots;
	size_t used;
};

/* The flow's identity: socket cookie, destination and ports. */
static uint64_t flow_key(const struct ea_rec *r)
{
	uint64_t h = r->cookie * 0x9e3779b97f4a7c15ull;

	for (int i = 0; i < 16; i++)
		h = (h ^ r->dst[i]) * 0x100000001b3ull;
	h ^= ((uint64_t)r->dport << 16 | r->sport) * 0xff51afd7ed558ccdull;
	return h ? h : 1;
}

struct ea_evidence_cache *ea_evidence_cache_new(void)
{
	struct ea_evidence_cache *c = calloc(1, sizeof(*c));

	if (c)
		c->slots = calloc(EA_EVIDENCE_CACHE_SLOTS, sizeof(*c->slots));
	if (c && !c->slots) {
		free(c);
		c = NULL;
	}
	return c;
}

void ea_evidence_cache_free(struct ea_evidence_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < EA_EVIDENCE_CACHE_SLOTS; i++)
		free(c->slots[i].evidence);
	free(c->slots);
	free(c);
}

static struct slot *find(struct ea_evidence_cache *c, uint64_t key, bool for_insert)
{
	size_t mask = EA_EVIDENCE_CACHE_SLOTS - 1;

	for (size_t i = key & mask, n = 0; n <= mask; i = (i + 1) & mask, n++) {
		if (c->slots[i].key == key)
			return &c->slots[i];
		if (!c->slots[i].key)
			return for_insert ? &c->slots[i] : NULL;
	}
	return NULL;
}

/* Remove a slot, re-placing the entries of its probe run behind it. */
static void erase(struct ea_evidence_cache *c, struct slot *s)
{
	size_t mask = EA_EVIDENCE_CACHE_SLOTS - 1, i = (size_t)(s - c->slots);

	free(s->evidence);
	s->key = 0;
	s->evidence = NULL;
	c->used--;
	for (i = (i + 1) & mask; c->slots[i].key; i = (i + 1) & mask) {
		struct slot moved = c->slots[i];

		c->slots[i].key = 0;
		c->slots[i].evidence = NULL;
		*find(c, moved.key, true) = moved;
	}
}

void ea_evidence_cache_apply(struct ea_evidence_cache *c, struct ea_rec *r)
{
	uint64_t key;
	struct slot *s;

	if (!c || !ea_rec_is_flow(r))
		return;
	if (r->kind == EA_REC_FLOW_END ? !c->used : !r->evidence[0])
		return;		/* nothing kept, or nothing to keep */
	key = flow_key(r);
	s = find(c, key, r->kind != EA_REC_FLOW_END);
	if (r->kind == EA_REC_FLOW_END) {
		if (s && !r->evidence[0] && r->labels[0])
			snprintf(r->evidence, sizeof(r->evidence), "%s", s->evidence);
		if (s)
			erase(c, s);
		return;
	}
	if (!r->evidence[0] || !s || (!s->key && c->used >= EA_EVIDENCE_CACHE_SLOTS / 2))
		return;		/* nothing to keep, or full: the kernel's word stands */
	if (!s->key)
		c->used++;
	free(s->evidence);
	s->key = key;
	s->evidence = strdup(r->evidence);
	if (!s->evidence) {
		s->key = 0;
		c->used--;
	}
}
