/**
 * The {@code apikey} command line tool: creates, inspects, verifies and invalidates the API keys of
 * APM agents and intake servers, through {@link dev.intakeauth.elasticsearch.ApiKeyManager}. A tool,
 * not a library: it exports nothing, and opens its commands to picocli, which fills their options.
 */
module dev.intakeauth.cli {
  requires dev.intakeauth.core;
  requires dev.intakeauth.elasticsearch;
  requires com.fasterxml.jackson.databind;
  requires info.picocli;
  requires static org.jspecify;

  opens dev.intakeauth.cli to info.picocli;
}
