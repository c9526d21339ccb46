package dev.ratecache;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.Member;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The library's public API as a committed dump ({@code src/test/api/ratecache.txt}): every
 * public type outside {@code dev.ratecache.internal} and its public and protected members. A
 * change to the API is then a visible, deliberate diff of that file in review. After a
 * deliberate change, regenerate it with {@code mvn test -Dtest=PublicApiTest
 * -Dratecache.api.update=true} and commit it with a CHANGELOG line.
 */
class PublicApiTest {

  private static final Path DUMP = Path.of("src", "test", "api", "ratecache.txt");

  @Test
  void thePublicApiIsTheCommittedOne() throws IOException {
    String current = dump();
    if (Boolean.getBoolean("ratecache.api.update")) {
      Files.createDirectories(DUMP.getParent());
      Files.writeString(DUMP, current);
    }
    String committed = Files.exists(DUMP) ? Files.readString(DUMP) : "";
    List<String> added = new ArrayList<>(lines(current));
    added.removeAll(lines(committed));
    List<String> removed = new ArrayList<>(lines(committed));
    removed.removeAll(lines(current));
    assertThat(added).as("public API added but not in %s (regenerate: mvn test -Dtest=PublicApiTest"
        + " -Dratecache.api.update=true)", DUMP).isEmpty();
    assertThat(removed).as("public API in %s but gone from the code", DUMP).isEmpty();
  }

  private static List<String> lines(String s) {
    return s.isEmpty() ? List.of() : Arrays.asList(s.split("\n"));
  }

  static String dump() {
    TreeSet<String> out = new TreeSet<>();
    for (JavaClass c : new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("dev.ratecache")) {
      if (c.getPackageName().startsWith("dev.ratecache.internal") || !exported(c.reflect())) {
        continue;
      }
      Class<?> type = c.reflect();
      String name = type.getName();
      out.add(name + " : " + kind(type));
      for (Field f : type.getDeclaredFields()) {
        if (visible(f) && !f.isSynthetic()) {
          out.add(name + " . " + Modifier.toString(f.getModifiers()) + " "
              + f.getGenericType().getTypeName() + " " + f.getName());
        }
      }
      for (Constructor<?> k : type.getDeclaredConstructors()) {
        if (visible(k) && !k.isSynthetic()) {
          out.add(name + " . " + signature(k, "<init>", ""));
        }
      }
      for (Method m : type.getDeclaredMethods()) {
        if (visible(m) && !m.isSynthetic() && !m.isBridge()) {
          out.add(name + " . " + signature(m, m.getName(),
              m.getGenericReturnType().getTypeName() + " "));
        }
      }
    }
    return out.stream().collect(Collectors.joining("\n", "", "\n"));
  }

  /** A public type whose enclosing types are all public too. */
  private static boolean exported(Class<?> type) {
    for (Class<?> c = type; c != null; c = c.getEnclosingClass()) {
      if (!Modifier.isPublic(c.getModifiers()) || c.isAnonymousClass() || c.isLocalClass()) {
        return false;
      }
    }
    return true;
  }

  private static boolean visible(Member m) {
    int mod = m.getModifiers();
    return Modifier.isPublic(mod)
        || (Modifier.isProtected(mod) && !Modifier.isFinal(m.getDeclaringClass().getModifiers()));
  }

  private static String kind(Class<?> t) {
    String kind = t.isAnnotation() ? "@interface" : t.isInterface() ? "interface"
        : t.isEnum() ? "enum" : t.isRecord() ? "record" : "class";
    String mods = Modifier.toString(t.getModifiers()
        & (Modifier.ABSTRACT | Modifier.FINAL | Modifier.STATIC)
        & (t.isInterface() ? Modifier.STATIC : ~0));
    String sup = t.getGenericSuperclass() == null || t.getSuperclass() == Object.class
        || t.isEnum() || t.isRecord() ? "" : " extends " + t.getGenericSuperclass().getTypeName();
    String ifs = t.getGenericInterfaces().length == 0 ? "" : " implements "
        + Arrays.stream(t.getGenericInterfaces()).map(java.lang.reflect.Type::getTypeName)
            .collect(Collectors.joining(", "));
    String sealed = t.isSealed() ? " sealed" : "";
    return (mods.isEmpty() ? "" : mods + " ") + kind + sealed + sup + ifs;
  }

  private static String signature(Executable e, String name, String returns) {
    String params = Arrays.stream(e.getGenericParameterTypes())
        .map(java.lang.reflect.Type::getTypeName).collect(Collectors.joining(", "));
    String throwsClause = e.getGenericExceptionTypes().length == 0 ? "" : " throws "
        + Arrays.stream(e.getGenericExceptionTypes()).map(java.lang.reflect.Type::getTypeName)
            .collect(Collectors.joining(", "));
    return Modifier.toString(e.getModifiers() & ~Modifier.TRANSIENT & ~Modifier.VOLATILE) + " "
        + returns + name + "(" + params + ")" + throwsClause;
  }
}
