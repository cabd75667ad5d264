// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Compiling intervals into the kernel's multibit trie, and its walk. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "geo_trie.h"

#define NIBBLE_MASK	(EA_TRIE_CHUNK_SLOTS - 1)

/* A node of the plain trie of 4-bit levels the compiler starts from. */
struct tnode {
	uint32_t slot[EA_TRIE_CHUNK_SLOTS];	/* EA_TRIE_LEAF | result, or a tnode */
	double visits;	/* expected visits of a walk: each range weighs 1 */
	double cost;	/* least visits + chunk cost of the subtree as compiled */
	uint8_t len;	/* address bits above the node */
	uint8_t kind;	/* chosen width: 0, 1, 2 for 4, 8, 12 bits */
};

struct plain_trie {
	const struct ea_ivl *iv;	/* intervals in key space */
	size_t cur;
	unsigned int width;		/* key bits: 32 or 128 */
	unsigned int max_kind;		/* the widest node allowed */
	struct tnode *node;
	uint32_t n, cap;
};

static int alloc_tnode(struct plain_trie *p, uint32_t *id)
{
	if (p->n == p->cap) {
		uint32_t cap = p->cap ? p->cap * 2 : 4096;
		struct tnode *v;

		if (cap >= EA_TRIE_LEAF)	/* a node id must not look like a result */
			return -ENOMEM;
		v = realloc(p->node, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		p->node = v;
		p->cap = cap;
	}
	*id = p->n++;
	memset(&p->node[*id], 0, sizeof(p->node[*id]));
	return 0;
}

/*
 * The plain slot for the block of keys with prefix start/len: a result when
 * one interval covers the block, otherwise a node of the next 4 bits.
 * *visits: the share of ranges' addresses that fall in the block.
 */
static int plain_slot(struct plain_trie *p, ea_addr_t start, unsigned int len,
		      uint32_t *slot, double *visits)
{
	ea_addr_t last = start | (((ea_addr_t)1 << (p->width - len)) - 1);
	const struct ea_ivl *iv;
	double sum = 0;
	uint32_t id = 0;
	int err;

	while (p->iv[p->cur].end < start)
		p->cur++;
	iv = &p->iv[p->cur];
	if (iv->end >= last) {
		*slot = iv->val.cc | EA_TRIE_LEAF;
		*visits = ldexp(1.0, (int)(p->width - len)) / ((double)(iv->end - iv->start) + 1.0);
		return 0;
	}
	err = alloc_tnode(p, &id);
	if (err)
		return err;
	p->node[id].len = (uint8_t)len;
	for (unsigned int k = 0; k < EA_TRIE_CHUNK_SLOTS && !err; k++) {
		ea_addr_t child = start | ((ea_addr_t)k << (p->width - len - EA_TRIE_STRIDE));
		uint32_t s;
		double v;

		err = plain_slot(p, child, len + EA_TRIE_STRIDE, &s, &v);
		p->node[id].slot[k] = s;
		sum += v;
	}
	p->node[id].visits = sum;
	*slot = id;
	*visits = sum;
	return err;
}

/* Summed cost of the nodes exactly `levels` 4-bit levels below node id. */
static double cost_below(const struct plain_trie *p, uint32_t id, unsigned int levels)
{
	double sum = 0;

	for (uint32_t k = 0; k < EA_TRIE_CHUNK_SLOTS; k++) {
		uint32_t s = p->node[id].slot[k];

		if (s & EA_TRIE_LEAF)
			continue;
		sum += levels == 1 ? p->node[s].cost : cost_below(p, s, levels - 1);
	}
	return sum;
}

/* A node of kind at bit len stays within the key and within one 64-bit half of it. */
static bool fits(unsigned int len, unsigned int kind, unsigned int width)
{
	unsigned int end = len + ea_trie_kind_bits(kind);

	return end <= width && (len >= 64 || end <= 64);
}

/* Give every node its kind, children first (a child's id is above its parent's). */
static void choose_kinds(struct plain_trie *p)
{
	for (uint32_t id = p->n; id-- > 0;) {
		struct tnode *t = &p->node[id];

		t->cost = INFINITY;
		for (unsigned int kind = 0; kind <= p->max_kind && fits(t->len, kind, p->width);
		     kind++) {
			double chunks = (double)(ea_trie_kind_slots(kind) / EA_TRIE_CHUNK_SLOTS);
			double c = EA_TRIE_CHUNK_COST * chunks + t->visits +
				   cost_below(p, id, kind + 1);

			if (c < t->cost) {
				t->cost = c;
				t->kind = (uint8_t)kind;
			}
		}
	}
}

/* Room for one more node of kind; its index in *idx, its slots zeroed. */
static int alloc_node(struct ea_trie_nodes *nodes, unsigned int kind, uint32_t *idx)
{
	size_t per = ea_trie_kind_slots(kind);

	if (nodes->count[kind] > EA_TRIE_INDEX_MASK)
		return -EOVERFLOW;
	if (nodes->count[kind] == nodes->cap[kind]) {
		uint32_t cap = nodes->cap[kind] ? nodes->cap[kind] * 2 : 64;
		uint32_t *v = realloc(nodes->slot[kind], cap * per * sizeof(*v));

		if (!v)
			return -ENOMEM;
		nodes->slot[kind] = v;
		nodes->cap[kind] = cap;
	}
	*idx = nodes->count[kind]++;
	memset(&nodes->slot[kind][*idx * per], 0, per * sizeof(uint32_t));
	return 0;
}

static int emit(const struct plain_trie *p, struct ea_trie_nodes *out, uint32_t s,
		uint32_t *slot);

/* The plain slot `levels` 4-bit levels below node id along bits b. */
static uint32_t descend(const struct plain_trie *p, uint32_t id, uint32_t b,
			unsigned int levels)
{
	uint32_t s = id;

	while (levels-- > 0 && !(s & EA_TRIE_LEAF))
		s = p->node[s].slot[(b >> (EA_TRIE_STRIDE * levels)) & NIBBLE_MASK];
	return s;
}

/* The trie slot for plain slot s, emitting its nodes. */
static int emit(const struct plain_trie *p, struct ea_trie_nodes *out, uint32_t s,
		uint32_t *slot)
{
	unsigned int kind;
	uint32_t idx = 0, nslots;
	int err;

	if (s & EA_TRIE_LEAF) {
		*slot = s;
		return 0;
	}
	kind = p->node[s].kind;
	nslots = ea_trie_kind_slots(kind);
	err = alloc_node(out, kind, &idx);
	for (uint32_t b = 0; b < nslots && !err; b++) {
		uint32_t v;

		err = emit(p, out, descend(p, s, b, kind + 1), &v);
		out->slot[kind][(size_t)idx * nslots + b] = v;
	}
	*slot = idx | kind << EA_TRIE_KIND_SHIFT;
	return err;
}

int ea_trie_build(const struct ea_ivl_list *ivl, unsigned int width,
		  unsigned int root_bits, unsigned int max_kind, struct ea_geo_trie *trie,
		  struct ea_trie_nodes *nodes)
{
	struct plain_trie p = { .iv = ivl->v, .width = width, .max_kind = max_kind };
	uint32_t nroot = 1u << root_bits, *plain_root;
	int err = 0;

	trie->root_bits = root_bits;
	trie->root = calloc(nroot, sizeof(*trie->root));
	plain_root = calloc(nroot, sizeof(*plain_root));
	if (!trie->root || !plain_root)
		err = -ENOMEM;
	for (uint32_t r = 0; r < nroot && !err; r++) {
		double visits;

		err = plain_slot(&p, (ea_addr_t)r << (width - root_bits), root_bits,
				 &plain_root[r], &visits);
	}
	if (!err)
		choose_kinds(&p);
	for (uint32_t r = 0; r < nroot && !err; r++)
		err = emit(&p, nodes, plain_root[r], &trie->root[r]);
	free(plain_root);
	free(p.node);
	return err;
}

void ea_trie_nodes_free(struct ea_trie_nodes *nodes)
{
	for (unsigned int k = 0; k < EA_TRIE_KINDS; k++)
		free(nodes->slot[k]);
	memset(nodes, 0, sizeof(*nodes));
}

/* Drop the n leading bits (0 < n < 64) of the key hi:lo. */
static void key_shift(uint64_t *hi, uint64_t *lo, unsigned int n)
{
	*hi = *hi << n | *lo >> (64 - n);
	*lo <<= n;
}

uint32_t ea_trie_walk(const struct ea_trie_nodes *nodes, uint32_t s, uint64_t hi,
		      uint64_t lo, unsigned int max_levels, unsigned int *levels)
{
	unsigned int i;

	for (i = 0; i < max_levels && !(s & EA_TRIE_LEAF); i++) {
		unsigned int kind = s >> EA_TRIE_KIND_SHIFT, bits = ea_trie_kind_bits(kind);
		size_t idx = s & EA_TRIE_INDEX_MASK;

		s = nodes->slot[kind][(idx << bits) + (hi >> (64 - bits))];
		key_shift(&hi, &lo, bits);
	}
	if (levels)
		*levels = i;
	return s;
}
