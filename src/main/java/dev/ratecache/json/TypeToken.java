package dev.ratecache.json;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.Objects;

/**
 * The full type of a value to read, generics included, owned by the library rather than by a JSON
 * library: {@code TypeToken.of(User.class)}, or for a generic type an anonymous subclass, {@code
 * new TypeToken<List<Row>>() {}}, whose type argument is kept at run time. Immutable; equal when
 * the types are.
 *
 * @param <T> the type
 */
public abstract class TypeToken<T> {
  private final Type type;

  /**
   * Captures the type argument of an anonymous subclass.
   *
   * @throws IllegalStateException if the subclass gives no type argument
   */
  protected TypeToken() {
    Type superclass = getClass().getGenericSuperclass();
    if (!(superclass instanceof ParameterizedType p)
        || p.getActualTypeArguments()[0] instanceof java.lang.reflect.TypeVariable) {
      throw new IllegalStateException("a TypeToken needs a concrete type argument, as in "
          + "new TypeToken<List<Row>>() {}");
    }
    this.type = p.getActualTypeArguments()[0];
  }

  private TypeToken(Type type) {
    this.type = Objects.requireNonNull(type, "type");
  }

  /** The token of a class (not generic, or read as raw). */
  public static <T> TypeToken<T> of(Class<T> type) {
    return new OfClass<>(type);
  }

  /**
   * The token of a type built at run time, such as a {@link ParameterizedType} read from a
   * stored type name (what a bridge to an untyped caching API needs); the caller vouches for
   * {@code T}.
   */
  public static <T> TypeToken<T> ofType(Type type) {
    return new OfClass<>(type);
  }

  /** The type, generics included. */
  public final Type type() {
    return type;
  }

  @Override
  public final boolean equals(Object o) {
    return o instanceof TypeToken<?> t && t.type.equals(type);
  }

  @Override
  public final int hashCode() {
    return type.hashCode();
  }

  @Override
  public final String toString() {
    return type.getTypeName();
  }

  private static final class OfClass<T> extends TypeToken<T> {
    OfClass(Type type) {
      super(type);
    }
  }
}
