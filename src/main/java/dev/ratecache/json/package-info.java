/**
 * JSON without a forced Jackson major: {@link dev.ratecache.json.JsonCodec} (what the library
 * reads and writes through), {@link dev.ratecache.json.TypeToken} (a value's full type, generics
 * included), and the two optional adapters {@link dev.ratecache.json.Jackson3Codec} and {@link
 * dev.ratecache.json.Jackson2Codec}, each loaded only when used. Everything here is thread-safe.
 */
package dev.ratecache.json;
