package dev.ratecache.cache;

import dev.ratecache.ConfigurationException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A key with {@code {name}} variables, such as {@code query:user:email:{email}}, parsed once.
 * {@link #render} is pure: every value is {@link CacheKeys#escape escaped}, so a request value
 * cannot widen a pattern ({@code query:user:*} stays exactly that) or reach another key. The
 * literal parts may contain glob characters when the template is an invalidation pattern.
 * Immutable and thread-safe.
 */
final class KeyTemplate {
  private static final Pattern VARIABLE = Pattern.compile("\\{([A-Za-z_][A-Za-z0-9_]*)}");

  private final String text;
  private final List<String> literals;
  private final List<String> variables;

  private KeyTemplate(String text, List<String> literals, List<String> variables) {
    this.text = text;
    this.literals = literals;
    this.variables = variables;
  }

  /**
   * Parses a template.
   *
   * @param setting where it came from, for error messages
   * @throws ConfigurationException if it is empty or has a malformed {@code {…}}
   */
  static KeyTemplate parse(String text, String setting) {
    if (text == null || text.isBlank()) {
      throw new ConfigurationException(setting, "key template must not be empty");
    }
    List<String> literals = new ArrayList<>();
    List<String> variables = new ArrayList<>();
    Matcher m = VARIABLE.matcher(text);
    int last = 0;
    while (m.find()) {
      literals.add(text.substring(last, m.start()));
      variables.add(m.group(1));
      last = m.end();
    }
    literals.add(text.substring(last));
    for (String literal : literals) {
      if (literal.indexOf('{') >= 0 || literal.indexOf('}') >= 0) {
        throw new ConfigurationException(setting, "malformed variable in key template '" + text
            + "'; write {name} with a Java identifier");
      }
    }
    return new KeyTemplate(text, List.copyOf(literals), List.copyOf(variables));
  }

  /** The distinct variable names, in order of appearance. */
  Set<String> variables() {
    return new LinkedHashSet<>(variables);
  }

  /** Whether the literal parts contain glob characters (so this renders a pattern). */
  boolean isPattern() {
    for (String l : literals) {
      for (int i = 0; i < l.length(); i++) {
        char c = l.charAt(i);
        if (c == '*' || c == '?' || c == '[') {
          return true;
        }
      }
    }
    return false;
  }

  /** The key (or pattern) with each variable replaced by its escaped value. */
  String render(Function<String, String> values) {
    StringBuilder b = new StringBuilder(text.length() + 16);
    for (int i = 0; i < variables.size(); i++) {
      b.append(literals.get(i)).append(CacheKeys.escape(values.apply(variables.get(i))));
    }
    return b.append(literals.get(literals.size() - 1)).toString();
  }

  /**
   * The text with each variable replaced by its value as it is (for a tag: an opaque name, never
   * a pattern, and {@link Tags#name} hashes an unusual one), so that {@code user:{id}} renders
   * what {@code QueryCache.invalidateTag("user:" + id)} names.
   */
  String renderRaw(Function<String, String> values) {
    StringBuilder b = new StringBuilder(text.length() + 16);
    for (int i = 0; i < variables.size(); i++) {
      b.append(literals.get(i)).append(values.apply(variables.get(i)));
    }
    return b.append(literals.get(literals.size() - 1)).toString();
  }

  @Override
  public String toString() {
    return text;
  }
}
