/**
 * The two client libraries, loaded when a client is first made rather than
 * when the server starts: together they add about 50 MiB to the resident
 * memory of a server that has no Elasticsearch or OpenSearch output (most
 * sites run one store, and many only files). Both are CommonJS, so a
 * synchronous require() from here is enough.
 */
import { createRequire } from 'node:module';
import type * as ElasticsearchLibrary from '@elastic/elasticsearch';
import type * as OpenSearchLibrary from '@opensearch-project/opensearch';

const load = createRequire(import.meta.url);
let es: typeof ElasticsearchLibrary | undefined;
let os: typeof OpenSearchLibrary | undefined;

export function elasticsearch(): typeof ElasticsearchLibrary {
  return (es ??= load('@elastic/elasticsearch') as typeof ElasticsearchLibrary);
}

export function opensearch(): typeof OpenSearchLibrary {
  return (os ??= load('@opensearch-project/opensearch') as typeof OpenSearchLibrary);
}
