#!/usr/bin/env bash
# Run the whole test suite (scripts/test.sh; arguments go to pytest, e.g. a test file) while every
# core is kept busy by CPU burners this script starts and stops itself: the proof that no test
# depends on the machine's speed. Exit status: the suite's; the wall time is printed at the end.
#
# The burners are stopped on exit, Ctrl-C or TERM; each also has a hard cap of its own
# (BURN_CAP_S seconds, default 3600), so none outlives a run even if this script is killed
# outright. BURNERS sets how many (default: one per core, `nproc`). CI is set, so a test that
# cannot run here (no PostgreSQL, no chromium) fails instead of being skipped unseen.
set -uo pipefail
set -m  # the suite runs as a job of its own that still receives the Ctrl-C forwarded below
cd "$(dirname "$0")/.."
export CI="${CI:-1}"

count=${BURNERS:-$(nproc)}
cap=${BURN_CAP_S:-3600}
burners=()
suite=""

stop_burners() {
  if [ ${#burners[@]} -gt 0 ]; then
    kill "${burners[@]}" 2>/dev/null
    wait "${burners[@]}" 2>/dev/null
    burners=()
  fi
}

interrupted() {  # $1: the exit status for the signal
  trap - INT TERM
  if [ -n "$suite" ]; then
    kill -INT "$suite" 2>/dev/null  # pytest stops and tears down its fixtures (the PostgreSQL server)
    wait "$suite" 2>/dev/null
  fi
  stop_burners
  echo "负载下测试被中断" >&2
  exit "$1"
}

trap stop_burners EXIT
trap 'interrupted 130' INT
trap 'interrupted 143' TERM

for _ in $(seq "$count"); do
  timeout -s KILL "$cap" bash -c 'while :; do :; done' &
  burners+=($!)
done
echo "已启动 ${count} 个满负荷进程（进程号 ${burners[*]}，每个最长运行 ${cap} 秒）"

start=$(date +%s)
bash scripts/test.sh "$@" &
suite=$!
wait "$suite"
status=$?
suite=""
elapsed=$(( $(date +%s) - start ))
stop_burners
printf '负载下测试结束：退出码 %d，用时 %d 分 %02d 秒（墙钟时间）\n' "$status" $((elapsed / 60)) $((elapsed % 60))
exit "$status"
