package dev.intakeauth.examples;

import dev.intakeauth.AuthResult;
import dev.intakeauth.Authenticator;
import dev.intakeauth.CachingPrivilegeChecker;
import dev.intakeauth.GeneratedKey;
import dev.intakeauth.InMemoryKeyStore;
import dev.intakeauth.Privilege;
import dev.intakeauth.access.AccessControl;
import dev.intakeauth.access.Decision;
import dev.intakeauth.access.RequestView;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The smallest complete use of intake-auth: a secret token and API keys from an in-memory store
 * behind the caching layer, then a few requests and the answer an intake server would send; then
 * the same authenticator behind the APM routes, with anonymous access for browser agents.
 */
public final class QuickStart {

  private QuickStart() {}

  /**
   * Runs the example and prints what it does.
   *
   * @param args ignored
   */
  public static void main(String[] args) {
    run(System.out);
  }

  /**
   * Runs the example.
   *
   * @param out where to print
   */
  public static void run(PrintStream out) {
    // One key that may only write events. Its secret is shown this once; the store keeps a hash.
    GeneratedKey agentKey = GeneratedKey.generate("java-agent", List.of(Privilege.EVENT_WRITE), null);
    InMemoryKeyStore keys = InMemoryKeyStore.builder().add(agentKey).build();

    Authenticator auth = Authenticator.builder()
        .secretToken("change-me")
        .apiKeys(CachingPrivilegeChecker.builder(keys).build())
        .build();

    Map<String, List<String>> requests = new LinkedHashMap<>();
    requests.put("secret token, write events", List.of("Bearer change-me"));
    requests.put("API key, write events", List.of(agentKey.credential().authorizationValue()));
    requests.put("API key, read agent config", List.of(agentKey.credential().authorizationValue()));
    requests.put("wrong token", List.of("Bearer guess"));
    requests.put("no header", List.of());
    requests.put("Basic auth", List.of("Basic dXNlcjpwYXNz"));

    for (Map.Entry<String, List<String>> request : requests.entrySet()) {
      Privilege needed = request.getKey().contains("config") ? Privilege.AGENT_CONFIG_READ : Privilege.EVENT_WRITE;
      AuthResult result = auth.authenticate(request.getValue()).authorize(needed);
      out.printf("%-28s -> %s%n", request.getKey(), describe(result));
    }

    // Routes and anonymous browser agents, for any transport: a servlet filter or a gRPC
    // interceptor turns its request into a RequestView and writes the Decision back.
    AccessControl access = AccessControl.builder(auth).anonymous(true).build();   // the APM routes
    Map<String, Request> routed = new LinkedHashMap<>();
    routed.put("no header, RUM events", new Request("POST", "/intake/v2/rum/events", List.of()));
    routed.put("no header, backend events", new Request("POST", "/intake/v2/events", List.of()));
    routed.put("no header, source map", new Request("POST", "/assets/v1/sourcemaps", List.of()));
    for (Map.Entry<String, Request> request : routed.entrySet()) {
      out.printf("%-28s -> %s%n", request.getKey(), describe(access.decide(request.getValue())));
    }
  }

  /** A request as a transport adapter hands it over: here over TLS, from one address. */
  private record Request(String method, String path, List<String> authorization) implements RequestView {
    @Override
    public List<String> headers(String name) {
      return name.equalsIgnoreCase("Authorization") ? authorization : List.of();
    }

    @Override
    public String remoteAddress() {
      return "192.0.2.1";
    }

    @Override
    public boolean secure() {
      return true;
    }
  }

  private static String describe(Decision decision) {
    if (decision instanceof Decision.Proceed proceed) {
      return describe(proceed.authorization().result());
    }
    Decision.Deny deny = (Decision.Deny) decision;   // no backend lookup here, so never Pending
    return error(deny.status(), deny.message());
  }

  private static String describe(AuthResult result) {
    if (result instanceof AuthResult.Authenticated ok) {
      return "200 " + ok.method() + " " + ok.privileges();
    }
    AuthResult.Denied denied = (AuthResult.Denied) result;
    return error(denied.status(), denied.message());
  }

  private static String error(int status, String message) {
    String json = message.replace("\\", "\\\\").replace("\"", "\\\"");
    return status + " {\"error\": \"" + json + "\"}";
  }
}
