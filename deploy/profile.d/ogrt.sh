# Track programs started from login shells with libogrt.so
# (docs/deployment.md, step 4; Slurm jobs: deploy/slurm/taskprolog.sh).
# Install:  cp ogrt.sh /etc/profile.d/ogrt.sh
# Sourced by sh-compatible login shells: POSIX sh only, no exit.
# A user opts out with `export OGRT_ACTIVE=0` in ~/.profile (read after this
# file; the library then stays idle), or by logging in with OGRT_ACTIVE=0 set.

OGRT_LIB=/opt/ogrt/lib/libogrt.so
if [ -r "$OGRT_LIB" ]; then
    case ":${LD_PRELOAD:-}:" in
        *":$OGRT_LIB:"*) ;;
        *) LD_PRELOAD="$OGRT_LIB${LD_PRELOAD:+:$LD_PRELOAD}"; export LD_PRELOAD ;;
    esac
    if [ "${OGRT_ACTIVE:-}" != "0" ]; then
        OGRT_ACTIVE=1
        export OGRT_ACTIVE
    fi
fi
unset OGRT_LIB
