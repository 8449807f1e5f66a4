/**
 * A search-only client over the two libraries (@elastic/elasticsearch,
 * @opensearch-project/opensearch), connected exactly like the
 * output-elasticsearch instance the queries read from: same nodes, TLS and
 * credentials (its config.ts resolves them, reading secrets from env/files).
 *
 * Requests go as plain `application/json`, which Elasticsearch 7, 8 and 9
 * all accept, so no version negotiation is needed for reading.
 */
import { elasticsearch, opensearch } from '../../../plugins/output-elasticsearch/libraries.ts';
import { readSecretSync, type ResolvedConfig } from '../../../plugins/output-elasticsearch/config.ts';
import { toStoreError } from '../../../plugins/output-elasticsearch/client.ts';

export interface SearchClient {
  search(index: string, body: object): Promise<any>;
  close(): Promise<void>;
}

const JSON_HEADERS = Object.freeze({ accept: 'application/json', 'content-type': 'application/json' });

export function createSearchClient(cfg: ResolvedConfig): SearchClient {
  const secret = cfg.auth.kind === 'none' ? undefined : readSecretSync(cfg.auth.source);
  if (cfg.flavor === 'opensearch') {
    const client = new (opensearch().Client)({
      nodes: [...cfg.nodes],
      auth: cfg.auth.kind === 'basic' ? { username: cfg.auth.username, password: secret! } : undefined,
      ssl: { ca: cfg.ca, rejectUnauthorized: cfg.tlsVerify },
      maxRetries: 1,
      requestTimeout: cfg.timeoutMs,
      name: 'ogrt-server-queries',
    });
    return {
      async search(index, body) {
        try {
          return (await client.search({ index, body: body as any })).body;
        } catch (err) {
          throw toStoreError(err);
        }
      },
      close: () => client.close(),
    };
  }
  const auth =
    cfg.auth.kind === 'api_key' ? { apiKey: secret! } : cfg.auth.kind === 'basic' ? { username: cfg.auth.username, password: secret! } : undefined;
  const client = new (elasticsearch().Client)({
    ...(cfg.cloudId !== undefined ? { cloud: { id: cfg.cloudId } } : { nodes: [...cfg.nodes] }),
    auth,
    tls: { ca: cfg.ca, rejectUnauthorized: cfg.tlsVerify },
    maxRetries: 1,
    requestTimeout: cfg.timeoutMs,
    name: 'ogrt-server-queries',
  });
  return {
    async search(index, body) {
      try {
        return await client.search({ index, ...(body as object) } as any, { headers: { ...JSON_HEADERS } });
      } catch (err) {
        throw toStoreError(err);
      }
    },
    close: () => client.close(),
  };
}
