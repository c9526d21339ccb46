package dev.ratecache.cache;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The namespace a pattern invalidates, and where a namespace folds when there are too many. */
class GenerationsTest {
  @ParameterizedTest(name = "{0} -> ''{1}''")
  @CsvSource(delimiter = '|', value = {
      "query:user:* | query:user:",
      "query:rag_document* | query:rag_document",
      "query:messages:chat:5* | query:messages:chat:5",
      "query:user:email:a%40x | query:user:email:a%40x",
      "query:?ser:* | query:",
      "query:[ab]* | query:",
      "'*:user:*' | ''",
      "query:user:\\* | query:user:",
  })
  void aPatternsNamespaceIsItsLiteralStart(String pattern, String namespace) {
    // Everything a pattern can match starts with its namespace, so invalidating the namespace
    // invalidates at least what the pattern names.
    assertThat(Generations.namespaceOf(pattern)).isEqualTo(namespace);
  }

  @ParameterizedTest(name = "{0} -> ''{1}''")
  @CsvSource(delimiter = '|', value = {
      "query:rag_documents:user:42: | query:rag_documents:user:",
      "query:rag_documents:user:42 | query:rag_documents:user:",
      "query:user: | query:",
      "query: | ''",
      "query | ''",
  })
  void aNamespaceFoldsIntoItsParent(String namespace, String parent) {
    assertThat(Generations.parentOf(namespace)).isEqualTo(parent);
  }
}
