/**
 * 'ogrt/kit': the input toolkit, for site-written inputs (a Kafka consumer,
 * a relay over some other transport) that receive OGRT messages and must
 * decode them exactly as the server does — framing, RFC 5424, the OGRT wire
 * format, reassembly of split records, and the ingest path the built-in
 * inputs share (RecordIntake, StreamListener, listen/peer helpers,
 * LogLimiter). docs/plugins.md, "Writing an input", shows it in use.
 *
 * The input toolkit may change in minor versions while PLUGIN_API_VERSION
 * stays (the contract of 'ogrt' itself does not): pin the server version a
 * site input was tested with. A plugin factory gets the same values as
 * `ogrt.kit`.
 */
export * from './core/plugin-kit.ts';
