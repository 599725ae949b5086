#!/usr/bin/env bash
# Brings up a one-node Slurm on this machine for the live-Slurm tests (test/main/slurm/) and for trying
# examples/slurm/ by hand: Debian's slurm-wlm daemons (22.05) and munge, installed with apt when root and
# missing, one node with this machine's CPUs and memory, one partition. Idempotent: a Slurm that already
# answers is left alone, and a slurm.conf this script did not write is never replaced.
#
# Exit status: 0 when Slurm is up; 2 when it cannot run here (not root, no apt, a daemon that will not
# start), said in one line, so CI carries on and the live-Slurm tests skip; anything else is a bug here.
set -euo pipefail

MARK='# written by babelscope scripts/slurm-up.sh'
CONF=/etc/slurm/slurm.conf
LOGS=/var/log/slurm

cannot() { echo "slurm-up: $*; the live-Slurm tests will skip" >&2; exit 2; }

node_state() { sinfo -h -N -o '%T' 2>/dev/null | head -n1 || true; }

if command -v sinfo >/dev/null 2>&1 && scontrol ping 2>/dev/null | grep -q 'is UP'; then
  state=$(node_state)
  case "$state" in
    idle*|mixed*|allocated*|completing*) echo "slurm-up: Slurm is already up (node $state)"; exit 0 ;;
  esac
fi

[ "$(id -u)" = 0 ] || cannot "not root (run it as root, or use your cluster's Slurm)"

need=()
command -v slurmctld >/dev/null 2>&1 || [ -x /usr/sbin/slurmctld ] || need+=(slurmctld)
command -v slurmd >/dev/null 2>&1 || [ -x /usr/sbin/slurmd ] || need+=(slurmd)
command -v sbatch >/dev/null 2>&1 || need+=(slurm-client)
[ -x /usr/sbin/munged ] || need+=(munge)
if [ ${#need[@]} -gt 0 ]; then
  command -v apt-get >/dev/null 2>&1 || cannot "no apt-get to install ${need[*]}"
  echo "slurm-up: installing ${need[*]}" >&2
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"; } >/tmp/slurm-up-apt.log 2>&1 ||
    cannot "apt-get install ${need[*]} failed (see /tmp/slurm-up-apt.log)"
fi

# munge: the key the package made, its daemon as user munge.
mkdir -p /run/munge /var/log/munge /var/lib/munge
chown munge:munge /run/munge /var/log/munge /var/lib/munge
chmod 0755 /run/munge
if [ ! -s /etc/munge/munge.key ]; then
  dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
  chown munge:munge /etc/munge/munge.key
  chmod 0400 /etc/munge/munge.key
fi
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  runuser -u munge -- /usr/sbin/munged --force >/dev/null 2>&1 || cannot "munged did not start ($(tail -n1 /var/log/munge/munged.log 2>/dev/null))"
  for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
  munge -n | unmunge >/dev/null 2>&1 || cannot "munge does not answer"
fi

# slurm.conf: this machine's node line as slurmd itself reports it (CPUs, sockets, cores, memory).
if [ -f "$CONF" ] && ! grep -qF "$MARK" "$CONF"; then
  cannot "$CONF exists and was not written by this script (left alone); start that Slurm yourself"
fi
host=$(hostname -s)
node=$(/usr/sbin/slurmd -C | head -n1)
case "$node" in NodeName=*) ;; *) cannot "slurmd -C gave no node line: $node" ;; esac
mkdir -p /etc/slurm "$LOGS" /var/spool/slurmctld /var/spool/slurmd
chown slurm:slurm /var/spool/slurmctld "$LOGS"
new=$(mktemp)
cat >"$new" <<EOF
$MARK (one node, for tests)
ClusterName=babelscope
SlurmctldHost=$host
SlurmUser=slurm
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=$LOGS/slurmctld.log
SlurmdLogFile=$LOGS/slurmd.log
KillWait=30
$node
PartitionName=main Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
changed=0
if ! cmp -s "$new" "$CONF"; then
  install -m 0644 "$new" "$CONF"
  changed=1
fi
rm -f "$new"

running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
if [ $changed = 1 ]; then
  for pidfile in /run/slurmd.pid /run/slurmctld.pid; do
    if running $pidfile; then
      pid=$(cat $pidfile)
      kill "$pid"
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
  done
fi
running /run/slurmctld.pid || /usr/sbin/slurmctld || cannot "slurmctld did not start ($(tail -n1 $LOGS/slurmctld.log 2>/dev/null))"
running /run/slurmd.pid || /usr/sbin/slurmd || cannot "slurmd did not start ($(tail -n1 $LOGS/slurmd.log 2>/dev/null))"

name=${node#NodeName=}
name=${name%% *}
for _ in $(seq 100); do
  state=$(node_state)
  case "$state" in
    idle*|mixed*|allocated*) echo "slurm-up: Slurm is up (node $name $state, partition main)"; exit 0 ;;
    down*|drain*) scontrol update NodeName="$name" State=RESUME >/dev/null 2>&1 || true ;;
  esac
  sleep 0.2
done
cannot "node $name is ${state:-unknown} after 20 s (see $LOGS/slurmd.log and $LOGS/slurmctld.log)"
