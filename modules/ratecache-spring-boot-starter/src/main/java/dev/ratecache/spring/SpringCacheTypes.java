package dev.ratecache.spring;

import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The run-time type of a value Spring's cache abstraction hands over, written beside its JSON so
 * that it reads back as what was cached ({@code @Cacheable} gives the cache no type). A type name is
 * a class name, or a collection or map with its element types: {@code java.util.List<com.acme.User>},
 * {@code java.util.LinkedHashMap<java.lang.String,com.acme.User>}.
 *
 * <p>What a stored name may make the cache load is bounded: every class in it must be allowed
 * (the application's packages, the ones configured, and a fixed list of JDK value and collection
 * types), and that is checked on the name before any class is loaded, so an entry written into
 * Redis by someone else cannot make the application load or build a class of its choosing.
 *
 * <p>Thread-safe.
 */
final class SpringCacheTypes {
  /** JDK types a cached value may be or contain. */
  private static final Set<String> JDK = Set.of("java.lang.String", "java.lang.Integer",
      "java.lang.Long", "java.lang.Short", "java.lang.Byte", "java.lang.Double", "java.lang.Float",
      "java.lang.Boolean", "java.lang.Character", "java.math.BigDecimal", "java.math.BigInteger",
      "java.util.List", "java.util.Set", "java.util.Map", "java.util.ArrayList",
      "java.util.LinkedList", "java.util.HashSet", "java.util.LinkedHashSet", "java.util.TreeSet",
      "java.util.HashMap", "java.util.LinkedHashMap", "java.util.TreeMap", "java.util.UUID",
      "java.util.Locale", "java.util.Currency", "java.util.Date", "java.net.URI");
  /** Collection and map classes kept as they are; any other (List.of, unmodifiable) reads as its interface. */
  private static final Set<Class<?>> CONCRETE = Set.of(java.util.ArrayList.class,
      java.util.LinkedList.class, java.util.HashSet.class, java.util.LinkedHashSet.class,
      java.util.TreeSet.class, java.util.HashMap.class, java.util.LinkedHashMap.class,
      java.util.TreeMap.class);
  /** Parsed names kept (a bound: names come from stored entries). */
  private static final int MEMO_MAX = 1024;

  private final List<String> packages;
  private final ClassLoader loader;
  private final Map<String, Type> memo = new ConcurrentHashMap<>();

  /**
   * @param packages packages whose classes (and their subpackages') may be cached
   */
  SpringCacheTypes(Collection<String> packages, ClassLoader loader) {
    List<String> p = new ArrayList<>();
    for (String name : packages) {
      String trimmed = name.trim();
      if (!trimmed.isEmpty()) {
        p.add(trimmed.endsWith(".") ? trimmed : trimmed + ".");
      }
    }
    this.packages = List.copyOf(p);
    this.loader = Objects.requireNonNull(loader, "loader");
  }

  /** The packages whose classes may be cached, as configured (for messages). */
  List<String> packages() {
    return packages.stream().map(p -> p.substring(0, p.length() - 1)).toList();
  }

  /** Whether a class of this name may be cached: checked on the name, before it is loaded. */
  boolean allowed(String className) {
    String name = className;
    while (name.startsWith("[")) { // an array: its component
      name = name.substring(1);
    }
    if (name.length() == 1 && "ZBCSIJFD".contains(name)) {
      return className.startsWith("["); // primitive arrays
    }
    if (name.startsWith("L") && name.endsWith(";") && className.startsWith("[")) {
      name = name.substring(1, name.length() - 1);
    }
    if (JDK.contains(name)) {
      return true;
    }
    if (name.startsWith("java.time.") && name.indexOf('.', "java.time.".length()) < 0) {
      return true; // java.time's value types, not its subpackages
    }
    for (String p : packages) {
      if (name.startsWith(p)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The type name of {@code value}.
   *
   * @throws IllegalArgumentException naming the class if the value is, or contains, a class that
   *     may not be cached, or a collection whose elements are of different classes (it could not
   *     be read back as what it was)
   */
  String describe(Object value) {
    if (value instanceof Collection<?> c) {
      String container = value instanceof Set<?>
          ? (CONCRETE.contains(value.getClass()) ? value.getClass().getName() : "java.util.Set")
          : (CONCRETE.contains(value.getClass()) ? value.getClass().getName() : "java.util.List");
      String element = common(c);
      return element == null ? container : container + "<" + element + ">";
    }
    if (value instanceof Map<?, ?> m) {
      String container = CONCRETE.contains(value.getClass()) ? value.getClass().getName()
          : "java.util.LinkedHashMap";
      String key = common(m.keySet());
      String val = common(m.values());
      if (key == null && val == null) {
        return container;
      }
      return container + "<" + (key == null ? "java.lang.String" : key) + ","
          + (val == null ? "java.lang.String" : val) + ">";
    }
    Class<?> type = value instanceof Enum<?> e ? e.getDeclaringClass() // even with a body
        : value.getClass();
    if (type.isAnonymousClass() || type.isLocalClass()
        || (type.isMemberClass() && !Modifier.isStatic(type.getModifiers()))) {
      throw new IllegalArgumentException(type.getName() + " cannot be read back from JSON"
          + " (an anonymous, local or inner class)");
    }
    String name = type.getName();
    if (!allowed(name)) {
      throw new NotAllowed(name + " is not in a package allowed for caching");
    }
    return name;
  }

  /** The one type name of every non-null element, or null if there is none. */
  private String common(Collection<?> elements) {
    String common = null;
    for (Object e : elements) {
      if (e == null) {
        continue;
      }
      String d = describe(e);
      if (common == null) {
        common = d;
      } else if (!common.equals(d)) {
        throw new IllegalArgumentException("elements of different types (" + common + ", " + d
            + ") cannot be read back as what they were");
      }
    }
    return common;
  }

  /**
   * The type a stored name stands for.
   *
   * @throws IllegalArgumentException if the name is malformed, names a class that may not be
   *     cached, or a class that is not there
   */
  Type parse(String name) {
    Type known = memo.get(name);
    if (known != null) {
      return known;
    }
    Parser p = new Parser(name);
    Type t = p.type();
    if (p.at != name.length()) {
      throw new IllegalArgumentException("malformed type name " + name);
    }
    if (memo.size() < MEMO_MAX) {
      memo.put(name, t);
    }
    return t;
  }

  private final class Parser {
    private final String text;
    private int at;

    Parser(String text) {
      this.text = text;
    }

    Type type() {
      int start = at;
      while (at < text.length() && "<>,".indexOf(text.charAt(at)) < 0) {
        char c = text.charAt(at);
        if (!(Character.isJavaIdentifierPart(c) || c == '.' || c == '[' || c == ';')) {
          throw new IllegalArgumentException("malformed type name " + text);
        }
        at++;
      }
      String className = text.substring(start, at);
      if (className.isEmpty() || !allowed(className)) {
        throw new NotAllowed(className + " is not allowed for caching (the allowed"
            + " packages are " + packages() + ")");
      }
      Class<?> raw;
      try {
        raw = Class.forName(className, false, loader);
      } catch (ClassNotFoundException | LinkageError e) {
        throw new IllegalArgumentException("no class " + className, e);
      }
      if (at >= text.length() || text.charAt(at) != '<') {
        return raw;
      }
      at++;
      List<Type> args = new ArrayList<>();
      args.add(type());
      while (at < text.length() && text.charAt(at) == ',') {
        at++;
        args.add(type());
      }
      if (at >= text.length() || text.charAt(at) != '>') {
        throw new IllegalArgumentException("malformed type name " + text);
      }
      at++;
      if (raw.getTypeParameters().length != args.size()) {
        throw new IllegalArgumentException("malformed type name " + text);
      }
      return new Parameterized(raw, args.toArray(new Type[0]));
    }
  }

  /** A class outside the allowed packages. */
  static final class NotAllowed extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    NotAllowed(String message) {
      super(message);
    }
  }

  /** A generic type read from a name. */
  private record Parameterized(Class<?> raw, Type[] args) implements ParameterizedType {
    @Override
    public Type[] getActualTypeArguments() {
      return args.clone();
    }

    @Override
    public Type getRawType() {
      return raw;
    }

    @Override
    public Type getOwnerType() {
      return null;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof ParameterizedType p && raw.equals(p.getRawType())
          && java.util.Arrays.equals(args, p.getActualTypeArguments()) && p.getOwnerType() == null;
    }

    @Override
    public int hashCode() {
      return java.util.Arrays.hashCode(args) ^ raw.hashCode();
    }

    @Override
    public String toString() {
      StringBuilder b = new StringBuilder(raw.getName()).append('<');
      for (int i = 0; i < args.length; i++) {
        b.append(i == 0 ? "" : ",").append(args[i].getTypeName());
      }
      return b.append('>').toString();
    }
  }
}
