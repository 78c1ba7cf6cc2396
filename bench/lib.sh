# Helpers shared by the bench/*.sh scripts (sourced; expects ROOT, RESULTS and WORK to be set).

# Cores, CPU model and the load when the run started (the machine may be shared).
machine() {
  local cpu load
  cpu="$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)"
  load="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
  echo "$(nproc) cores, ${cpu:-unknown CPU}, load $load at start"
}

# The commit measured; "+dirty" with uncommitted changes (the results file itself aside).
commit() {
  local c
  c="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo none)"
  # The results file itself does not make a commit dirty (an earlier run may just have written it).
  if [[ $c != none && -n "$(git -C "$ROOT" status --porcelain --untracked-files=no -- . ':!docs/BENCHMARKS.md' 2>/dev/null)" ]]; then
    c="$c+dirty"
  fi
  echo "$c"
}

# A TCP port on 127.0.0.1 that nothing listens on and none of the arguments names.
free_port() {
  local p i
  for ((i = 0; i < 100; i++)); do
    p=$((20000 + RANDOM % 30000))
    [[ " $* " == *" $p "* ]] && continue
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  echo "no free TCP port found on 127.0.0.1" >&2
  return 1
}

# utime+stime of process $1 in seconds (all its threads); the name field may hold spaces.
cpu_seconds() {
  local stat
  stat="$(<"/proc/$1/stat")" || return 1
  stat="${stat##*) }"   # fields from 3 (state) on
  awk -v tck="$(getconf CLK_TCK)" '{ printf "%.2f", ($12 + $13) / tck }' <<<"$stat"
}

# Median of the numbers given as arguments.
median() {
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
    END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# $1 ÷ $2 to two decimals ("n/a" when $2 is 0).
ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'
}

write_results_header() {
  cat <<'EOF'
# Benchmarks

Rows are appended by `./parley bench NAME`, one per run, newest last in each table. Every row gives
the date (UTC), the commit measured (`+dirty`: with uncommitted changes), the machine (cores and CPU
model), the exact command, medians of at least 5 rounds, and, where the benchmark has a peer, the
ratio measured side by side in the same run: absolute numbers on a shared 2-core machine are noise,
ratios much less so.
EOF
}

# Appends row $3 to section $1 (created by function $2 when missing), after the section's last
# table line: other benchmarks keep their own sections.
add_row() {
  local section="$1" writer="$2" row="$3"
  mkdir -p "$(dirname "$RESULTS")"
  [[ -f $RESULTS ]] || write_results_header >"$RESULTS"
  grep -qxF "$section" "$RESULTS" || "$writer" >>"$RESULTS"
  awk -v sec="$section" -v row="$row" '
    $0 == sec { insec = 1 }
    insec && !done { if (/^\|/) intable = 1; else if (intable) { print row; done = 1 } }
    { print }
    END { if (!done) print row }
  ' "$RESULTS" >"$WORK/results.md"
  cat "$WORK/results.md" >"$RESULTS"
}

# Compiles module $1 (and what it needs, -am) with its tests and writes its test classpath to $2;
# $3 names the benchmark in messages. Maven runs offline with PARLEY_MVN_OFFLINE=1. Needs JAVA, WORK.
test_classpath() {
  local module="$1" out="$2" name="$3" offline=()
  [[ -n ${PARLEY_MVN_OFFLINE:-} ]] && offline=(-o)
  echo "bench/$name: compiling $module and its benchmarks (mvn test-compile)"
  (cd "$ROOT" && JAVA_HOME="$(dirname "$(dirname "$(readlink -f "$JAVA")")")" \
    mvn -B -q "${offline[@]}" test-compile dependency:build-classpath -pl "$module" -am \
    -Dmdep.outputFile="$out" -Dmdep.includeScope=test) >"$WORK/mvn-$module.log" 2>&1 ||
    { tail -n 40 "$WORK/mvn-$module.log" >&2; echo "bench/$name: mvn test-compile failed" >&2; exit 1; }
  [[ -s $out ]] || { echo "bench/$name: mvn wrote no classpath" >&2; exit 1; }
}
