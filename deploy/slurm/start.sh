#!/usr/bin/env bash
# Starts a single-node Slurm cluster on this machine (as root) for the Slurm executor's tests: installs Debian's
# slurmctld, slurmd, munge and slurm-client if missing, writes /etc/slurm/slurm.conf from deploy/slurm/slurm.conf,
# starts munged, slurmctld and slurmd, and waits until `sinfo` shows the node idle. Idempotent: a running cluster
# with the same config is left as it is.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
timeout_s="${SLURM_START_TIMEOUT:-90}"

if [ "$(id -u)" != 0 ]; then echo "deploy/slurm/start.sh: run as root (it installs packages and writes /etc/slurm)" >&2; exit 1; fi
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null || ! command -v sbatch >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq slurmctld slurmd munge slurm-client >/dev/null
fi

node="$(hostname -s)"
cpus="${SLURM_CPUS:-$(nproc)}"
memory="${SLURM_MEMORY_MB:-20000}"
mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/munge
sed -e "s/@NODE@/$node/g" -e "s/@CPUS@/$cpus/g" -e "s/@MEMORY@/$memory/g" "$here/slurm.conf" > /etc/slurm/slurm.conf.new
changed=1
if [ -f /etc/slurm/slurm.conf ] && cmp -s /etc/slurm/slurm.conf /etc/slurm/slurm.conf.new; then changed=0; fi
mv /etc/slurm/slurm.conf.new /etc/slurm/slurm.conf

# munge: a key (the package makes one; containers sometimes lack it) and the daemon.
if ! [ -s /etc/munge/munge.key ]; then
  mkdir -p /etc/munge
  dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
fi
chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge 2>/dev/null || true
chmod 400 /etc/munge/munge.key
if ! pgrep -x munged >/dev/null; then
  if id munge >/dev/null 2>&1; then su -s /bin/sh munge -c "munged --force" || munged --force; else munged --force; fi
fi

if [ "$changed" = 1 ]; then
  # A new config: restart the daemons this script (or an earlier run of it) started, once they have exited.
  for daemon in slurmctld slurmd; do
    pidfile="/run/$daemon.pid"
    [ -f "$pidfile" ] || continue
    pid="$(cat "$pidfile")"
    kill "$pid" 2>/dev/null || continue
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
fi
pgrep -x slurmctld >/dev/null || slurmctld
pgrep -x slurmd >/dev/null || slurmd

deadline=$((SECONDS + timeout_s))
while true; do
  state="$(sinfo -h -n "$node" -o '%t' 2>/dev/null | head -1 || true)"
  case "$state" in
    idle|mix|alloc) break ;;
    down*|drain*|unk*|"")
      # A node that was down before the daemons (re)started is put back.
      [ -n "$state" ] && scontrol update nodename="$node" state=resume >/dev/null 2>&1 || true ;;
  esac
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "deploy/slurm/start.sh: node $node is not idle after ${timeout_s} s (sinfo state: '${state:-no answer}')." >&2
    echo "See /var/log/slurm/slurmctld.log and /var/log/slurm/slurmd.log." >&2
    tail -n 20 /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log >&2 2>/dev/null || true
    exit 1
  fi
  sleep 1
done
echo "Slurm: node $node is $state (partition: $(sinfo -h -o '%P' | head -1))"
