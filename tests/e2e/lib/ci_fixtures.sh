# SPDX-License-Identifier: GPL-2.0
# ci_fixtures.sh - sourced by tests/e2e/ci_*.sh after common.sh: a fixture
# with chosen violation counts per call site, for diff and merge tests.
#
# ci_fixture NAME ND NB NC NL NM NR [OFF]
#   ND double frees at free_a+OFF, NB frees without alloc at free_b+OFF,
#   NC at free_c+OFF, NL leaks of 256 bytes from alloc_l+OFF, NM from
#   alloc_m+OFF, NR reallocs without free at alloc_a+OFF (each freed
#   after). OFF defaults to 0x10. alloc-free then counts: double-free ND,
#   free-without-alloc NB+NC, leak NL+NM, realloc-without-free NR.
ci_fixture() {
	local name=$1 nd=$2 nb=$3 nc=$4 nl=$5 nm=$6 nr=$7 off=${8:-0x10}
	local f=$WORK/$name.txt
	site() { printf '0x%x' $(( $1 + off )); }
	{
		echo "kernel modern"
		echo "cpus 1"
		echo "kallsyms ffffffff81000000 T _stext"
		echo "kallsyms ffffffff81100000 T alloc_a"
		echo "kallsyms ffffffff81100100 T alloc_l"
		echo "kallsyms ffffffff81100200 T alloc_m"
		echo "kallsyms ffffffff81100300 T free_a"
		echo "kallsyms ffffffff81100400 T free_b"
		echo "kallsyms ffffffff81100500 T free_c"
		echo "kallsyms ffffffff81200000 T _etext"
		echo "comm 100 test"
		if [ "$nd" -gt 0 ]; then
			echo "repeat $nd"
			echo "0 10000+i*100 kmalloc 100 ptr=0xffff888000100000+i*0x1000 call_site=$(site 0xffffffff81100000) bytes_req=64 bytes_alloc=64"
			echo "0 10010+i*100 kfree 100 ptr=0xffff888000100000+i*0x1000 call_site=$(site 0xffffffff81100300)"
			echo "0 10020+i*100 kfree 100 ptr=0xffff888000100000+i*0x1000 call_site=$(site 0xffffffff81100300)"
			echo "end"
		fi
		if [ "$nb" -gt 0 ]; then
			echo "repeat $nb"
			echo "0 20000+i*100 kfree 100 ptr=0xffff888000200000+i*0x1000 call_site=$(site 0xffffffff81100400)"
			echo "end"
		fi
		if [ "$nc" -gt 0 ]; then
			echo "repeat $nc"
			echo "0 30000+i*100 kfree 100 ptr=0xffff888000300000+i*0x1000 call_site=$(site 0xffffffff81100500)"
			echo "end"
		fi
		if [ "$nr" -gt 0 ]; then
			echo "repeat $nr"
			echo "0 40000+i*100 kmalloc 100 ptr=0xffff888000400000+i*0x1000 call_site=$(site 0xffffffff81100000) bytes_req=64 bytes_alloc=64"
			echo "0 40010+i*100 kmalloc 100 ptr=0xffff888000400000+i*0x1000 call_site=$(site 0xffffffff81100000) bytes_req=64 bytes_alloc=64"
			echo "0 40020+i*100 kfree 100 ptr=0xffff888000400000+i*0x1000 call_site=$(site 0xffffffff81100300)"
			echo "end"
		fi
		if [ "$nl" -gt 0 ]; then
			echo "repeat $nl"
			echo "0 50000+i*100 kmalloc 100 ptr=0xffff888000500000+i*0x1000 call_site=$(site 0xffffffff81100100) bytes_req=200 bytes_alloc=256"
			echo "end"
		fi
		if [ "$nm" -gt 0 ]; then
			echo "repeat $nm"
			echo "0 60000+i*100 kmalloc 100 ptr=0xffff888000600000+i*0x1000 call_site=$(site 0xffffffff81100200) bytes_req=200 bytes_alloc=256"
			echo "end"
		fi
		echo "0 70000 kmalloc 100 ptr=0xffff888000700000 call_site=$(site 0xffffffff81100000) bytes_req=8 bytes_alloc=8"
		echo "0 70010 kfree 100 ptr=0xffff888000700000 call_site=$(site 0xffffffff81100300)"
	} > "$f"
	"$MKFIXTURE" "$f" "$WORK/$name.dat" || { echo "FAIL: cannot generate $name"; exit 1; }
}
