#!/usr/bin/awk -f
# recount.awk - an independent re-count of the shipped specs' verdicts from
# `trace-cmd report` text: trace-cmd parses the file, this script runs the
# automata by hand. It shares no code with kmrv, so agreement is evidence.
#
#   trace-cmd report -N FILE | awk -f recount.awk
#
# Prints "SPEC KIND COUNT" lines, sorted by the caller.

function is_null(p) { return p == "0x0" || p == "(nil)" || p == "0" || p == "" }

function field(name,    i, n, kv) {
	for (i = 1; i <= NF; i++)
		if (index($i, name "=") == 1)
			return substr($i, length(name) + 2)
	return ""
}

{
	# "          comm-PID   [CPU]  TS: EVENT:  ..." ; comm may hold spaces
	if (!match($0, /-[0-9]+ +\[[0-9]+\] +[0-9]+\.[0-9]+: +[a-z_]+:/))
		next
	head = substr($0, RSTART, RLENGTH)
	split(head, h, /[ \[\]:]+/)
	pid = substr(h[1], 2)
	ev = h[length(h) - 1]
	if (ev == "") ev = h[length(h)]
	ptr = field("ptr")
}

function alloc_free(spec, ptr) {
	if (st[spec, ptr] == "A")
		kind[spec, "realloc-without-free"]++
	st[spec, ptr] = "A"
}
function free_obj(spec, ptr) {
	if (st[spec, ptr] == "")
		kind[spec, "free-without-alloc"]++
	else if (st[spec, ptr] == "F")
		kind[spec, "double-free"]++
	st[spec, ptr] = "F"
}

ev == "kmalloc" || ev == "kmalloc_node" {
	if (is_null(ptr)) next
	alloc_free("alloc-free", ptr)
	alloc_free("slab-alloc-free", ptr)
	if (seen2[pid, ptr]) kind["no-realloc", "realloc-after-free"]++
	seen2[pid, ptr] = 1
	if (pend[pid] == ptr) kind["no-immediate-realloc", "immediate-realloc"]++
	pend[pid] = ""
	if (have_last && last == ptr) kind["no-immediate-realloc-global", "immediate-realloc"]++
	next
}
ev == "kmem_cache_alloc" || ev == "kmem_cache_alloc_node" {
	if (is_null(ptr)) next
	alloc_free("slab-alloc-free", ptr)
	next
}
ev == "kfree" {
	if (is_null(ptr) || ptr == "0x10") next
	free_obj("alloc-free", ptr)
	free_obj("slab-alloc-free", ptr)
	seen2[pid, ptr] = 1
	pend[pid] = ptr
	last = ptr; have_last = 1
	next
}
ev == "kmem_cache_free" {
	if (is_null(ptr)) next
	free_obj("slab-alloc-free", ptr)
	next
}

END {
	for (k in st) {
		split(k, p, SUBSEP)
		if (st[k] == "A") kind[p[1], "leak"]++
	}
	n = split("alloc-free:free-without-alloc alloc-free:realloc-without-free alloc-free:double-free alloc-free:leak no-realloc:realloc-after-free no-immediate-realloc:immediate-realloc no-immediate-realloc-global:immediate-realloc slab-alloc-free:free-without-alloc slab-alloc-free:realloc-without-free slab-alloc-free:double-free slab-alloc-free:leak", all, " ")
	for (i = 1; i <= n; i++) {
		split(all[i], sk, ":")
		print sk[1], sk[2], kind[sk[1], sk[2]] + 0
	}
}
