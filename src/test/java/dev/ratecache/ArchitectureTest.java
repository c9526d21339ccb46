package dev.ratecache;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The layering of docs/architecture.md as rules, not prose: dependencies point one way,
 * {@code ops -> {ratelimit, cache} -> redis -> internal} (and {@code cache, ops -> json ->
 * internal}), with {@code dev.ratecache} itself
 * (ConfigurationException) usable by all; {@code redis} knows nothing of rate limits or caches,
 * the two features know nothing of each other, and no package cycle exists.
 */
class ArchitectureTest {

  private static final JavaClasses LIBRARY = new ClassFileImporter()
      .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
      .importPackages("dev.ratecache");

  @Test
  void dependenciesPointOneWay() {
    layeredArchitecture().consideringOnlyDependenciesInAnyPackage("dev.ratecache..")
        .layer("root").definedBy("dev.ratecache")
        .layer("internal").definedBy("dev.ratecache.internal..")
        .layer("redis").definedBy("dev.ratecache.redis..")
        .layer("ratelimit").definedBy("dev.ratecache.ratelimit..")
        .layer("json").definedBy("dev.ratecache.json..")
        .layer("cache").definedBy("dev.ratecache.cache..")
        .layer("ops").definedBy("dev.ratecache.ops..")
        .whereLayer("ops").mayNotBeAccessedByAnyLayer()
        .whereLayer("ratelimit").mayOnlyBeAccessedByLayers("ops")
        .whereLayer("cache").mayOnlyBeAccessedByLayers("ops")
        .whereLayer("redis").mayOnlyBeAccessedByLayers("ratelimit", "cache", "ops")
        .whereLayer("json").mayOnlyBeAccessedByLayers("cache", "ops")
        .whereLayer("internal")
        .mayOnlyBeAccessedByLayers("redis", "json", "ratelimit", "cache", "ops")
        .check(LIBRARY);
  }

  /** Jackson appears only in its adapters: the rest of the library runs without either major. */
  @Test
  void onlyTheJacksonAdaptersUseJackson() {
    noClasses().that().haveNameNotMatching("dev\\.ratecache\\.json\\.Jackson2Codec.*")
        .should().dependOnClassesThat().resideInAnyPackage("com.fasterxml.jackson..")
        .check(LIBRARY);
    noClasses().that().haveNameNotMatching("dev\\.ratecache\\.json\\.Jackson3Codec.*")
        .should().dependOnClassesThat().resideInAnyPackage("tools.jackson..")
        .check(LIBRARY);
  }

  @Test
  void theRootPackageDependsOnNoFeature() {
    noClasses().that().resideInAPackage("dev.ratecache")
        .should().dependOnClassesThat().resideInAnyPackage("dev.ratecache.*..")
        .check(LIBRARY);
  }

  @Test
  void noPackageCycles() {
    slices().matching("dev.ratecache.(*)..").should().beFreeOfCycles().check(LIBRARY);
  }
}
