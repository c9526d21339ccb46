package dev.ratecache;

/**
 * Thrown at start-up when a setting is missing, malformed or inconsistent.
 *
 * <p>The message always names the setting (environment variable, init-param or builder method) so
 * that an operator can fix the deployment without reading the source. {@link #setting()} returns
 * that name for programmatic use.
 */
public class ConfigurationException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final String setting;

  /**
   * Creates an exception for {@code setting} with a message of the form
   * {@code "<setting>: <problem>"}.
   *
   * @param setting the name of the offending setting, for example {@code REDIS_PORT}
   * @param problem what is wrong with it, for example {@code "must be a number, got 'abc'"}
   */
  public ConfigurationException(String setting, String problem) {
    super(setting + ": " + problem);
    this.setting = setting;
  }

  /**
   * Like {@link #ConfigurationException(String, String)} with the underlying cause attached.
   */
  public ConfigurationException(String setting, String problem, Throwable cause) {
    super(setting + ": " + problem, cause);
    this.setting = setting;
  }

  /** The name of the setting that is wrong. */
  public String setting() {
    return setting;
  }
}
