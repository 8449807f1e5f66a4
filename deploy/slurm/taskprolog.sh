#!/bin/sh
# Slurm TaskProlog: track every program of every job with libogrt.so
# (docs/deployment.md, step 4).
# Install:  cp taskprolog.sh /etc/slurm/taskprolog.sh && chmod 0755 /etc/slurm/taskprolog.sh
#           slurm.conf: TaskProlog=/etc/slurm/taskprolog.sh
# Lines this script prints as "export NAME=value" land in the task's
# environment. OGRT_TRANSPORT defaults to unix:///run/ogrt/ogrt.sock, the
# socket of deploy/rsyslog/ogrt-forward.conf.
#
# A job opts out with OGRT_ACTIVE=0 in its environment (sbatch --export or
# `export OGRT_ACTIVE=0` before srun): the library then stays idle.

OGRT_LIB=/opt/ogrt/lib/libogrt.so

# A node without the library runs jobs untracked rather than failing them:
# the dynamic loader would print an error for every program of the job.
if [ ! -r "$OGRT_LIB" ]; then
    exit 0
fi

case ":${LD_PRELOAD:-}:" in
    *":$OGRT_LIB:"*) ;;   # already there (job launched from a tracked shell)
    *) echo "export LD_PRELOAD=$OGRT_LIB${LD_PRELOAD:+:$LD_PRELOAD}" ;;
esac
if [ "${OGRT_ACTIVE:-}" != "0" ]; then
    echo "export OGRT_ACTIVE=1"
fi
exit 0
