package dev.ratecache.cache;

import dev.ratecache.json.JsonCodec;
import dev.ratecache.json.TypeToken;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Key-template rendering and the JSON codec: the in-process cost of a cache read or write. Run
 * with {@code mvn -B -Pjmh test-compile exec:exec}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class CacheBenchmarks {
  /** A typical row. */
  public record Row(long id, String email, String name, Instant createdAt) {}

  private KeyTemplate template;
  private Map<String, String> values;
  private JsonCodec codec;
  private Row row;
  private String rowJson;
  private List<Row> rows;
  private String rowsJson;
  private TypeToken<Row> rowType;
  private TypeToken<List<Row>> rowsType;

  @Setup
  public void setUp() {
    template = KeyTemplate.parse("query:rag_documents:user:{userId}:limit:{limit}", "bench");
    values = Map.of("userId", "user-42@example.com", "limit", "10");
    codec = JsonCodec.standard();
    row = new Row(42, "alice@example.com", "Alice", Instant.parse("2026-11-25T10:15:30Z"));
    rowJson = codec.encode(row);
    rows = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      rows.add(new Row(i, "u" + i + "@example.com", "User " + i, row.createdAt()));
    }
    rowsJson = codec.encode(rows);
    rowType = TypeToken.of(Row.class);
    rowsType = new TypeToken<List<Row>>() {};
  }

  @Benchmark
  public String renderKeyTemplate() {
    return template.render(values::get);
  }

  @Benchmark
  public String escapeOddValue() {
    return CacheKeys.escape("name with * and [brackets]:colons");
  }

  @Benchmark
  public String encodeRow() {
    return codec.encode(row);
  }

  @Benchmark
  public Row decodeRow() {
    return codec.decode(rowJson, rowType);
  }

  @Benchmark
  public String encodeTwentyRows() {
    return codec.encode(rows);
  }

  @Benchmark
  public List<Row> decodeTwentyRows() {
    return codec.decode(rowsJson, rowsType);
  }
}
