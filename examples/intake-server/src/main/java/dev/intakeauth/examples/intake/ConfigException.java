package dev.intakeauth.examples.intake;

/** A configuration the server cannot start with; the message names the setting. */
public final class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  ConfigException(String message) {
    super(message);
  }
}
