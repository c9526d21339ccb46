package dev.ratecache.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StoredResponseTest {

  @Test
  void aPlainJsonResponseIsStoredAsItsBodyAlone() {
    String body = "{\"id\":1}";
    assertThat(StoredResponse.encode(Map.of("Content-Type", "application/json"), body))
        .isEqualTo(body);
    assertThat(StoredResponse.decode(body)).isEqualTo(new StoredResponse(Map.of(), body));
  }

  @Test
  void replayedHeadersRoundTripWithTheBodyByteForByte() {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Cache-Control", "max-age=60, private=\"Set-Cookie\"");
    headers.put("Content-Type", "application/vnd.api+json; charset=utf-8");
    headers.put("Content-Language", "fr\\ch");
    headers.put("X-Not-Replayed", "dropped");
    String body = "[1, 2 ,{\"a\":\"}\"} ]";
    String stored = StoredResponse.encode(headers, body);
    StoredResponse read = StoredResponse.decode(stored);
    headers.remove("X-Not-Replayed");
    assertThat(read.headers()).containsExactlyEntriesOf(headers);
    assertThat(read.body()).isEqualTo(body);
  }

  /** What the previous release wrote (through Jackson's string encoder) still replays. */
  @Test
  void anEnvelopeFromThePreviousReleaseStillDecodes() {
    String old = "{\"@ratecache.response\":1,\"headers\":{\"Cache-Control\":\"no-transform\","
        + "\"Content-Language\":\"a\\u001Fb\\\"c\"},\"body\":{\"x\":[]}}";
    StoredResponse read = StoredResponse.decode(old);
    assertThat(read.headers()).containsEntry("Cache-Control", "no-transform")
        .containsEntry("Content-Language", "a\u001fb\"c");
    assertThat(read.body()).isEqualTo("{\"x\":[]}");
  }

  @Test
  void aBodyThatOnlyLooksLikeAnEnvelopeIsABody() {
    for (String text : new String[] {
        "{\"@ratecache.response\":1,\"other\":2}",
        "{\"@ratecache.response\":1,\"headers\":{\"a\":1},\"body\":2}",
        "{\"@ratecache.response\":1,\"headers\":{\"a\":\"b\"}}",
        "{\"@ratecache.response\":1,\"headers\":{\"a\":\"b\"},\"body\":",
        "{\"@ratecache.response\":1,\"headers\":{\"a\"",
        "{\"@ratecache.response\":1,\"headers\":{"}) {
      assertThat(StoredResponse.decode(text)).as(text)
          .isEqualTo(new StoredResponse(Map.of(), text));
    }
  }
}
