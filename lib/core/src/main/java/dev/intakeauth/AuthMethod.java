package dev.intakeauth;

/** How a request was let in. */
public enum AuthMethod {
  /** No authentication is configured, so every request is let in with every privilege. */
  NONE,
  /** A shared secret token ({@code Bearer}). */
  SECRET_TOKEN,
  /** An Elasticsearch API key ({@code ApiKey}). */
  API_KEY,
  /** No credential, and anonymous access is enabled. */
  ANONYMOUS
}
