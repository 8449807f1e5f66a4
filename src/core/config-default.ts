/**
 * The configuration used when no ogrt.conf is found: a copy of the
 * repository's ogrt.conf (test/core/config-source.test.ts keeps them equal).
 * Relative paths in it resolve against the working directory.
 */
export const EMBEDDED_CONFIG_NAME = '<embedded default>';

export const EMBEDDED_CONFIG = `# ogrt-server configuration (TOML). Every key is described in
# docs/configuration.md.
#
# The server reads --config FILE, else ./ogrt.conf, else /etc/ogrt/ogrt.conf,
# else a built-in copy of this very file.

# [server]
# shutdown_timeout_ms = 10000   # time allowed to flush every output on SIGTERM
# log_level = "info"            # fatal, error, warn, info, debug, trace, silent
# data_dir = "data"             # dead letters go to <data_dir>/dead-letter/

# OGRT records over TCP, straight from libogrt.so or from a syslog relay.
[inputs.direct]
type = "tcp"
listen = "127.0.0.1:7971"

# One JSON record per line; the date in the path starts a new file each day.
[outputs.local]
type = "file"
path = "data/ogrt-%Y-%m-%d.jsonl"

# The same records in a local SQLite database: the store the built-in queries
# read (dashboard, JSON API and "ogrt-server query").
[outputs.store]
type = "sqlite"
path = "data/ogrt.db"
# retention_days = 90   # delete processes older than this; 0 keeps everything
# max_size_mb = 10240   # keep the database under this size; 0 for no limit

# Dashboard, JSON API (docs/api.md) and Prometheus /metrics. Loopback only by
# default; any other address needs token_file, token_env or basic auth.
[dashboard]
listen = "127.0.0.1:8080"
# token_file = "/etc/ogrt/dashboard.token"
`;
