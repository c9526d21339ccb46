package dev.ratecache.cli;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The CLI is a client of the library's public API: nothing of {@code dev.ratecache.internal}. */
class PublicApiOnlyTest {

  @Test
  void theCliUsesNoInternalType() {
    noClasses().should().dependOnClassesThat().resideInAPackage("dev.ratecache.internal..")
        .check(new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.ratecache.cli"));
  }
}
