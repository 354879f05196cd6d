package dev.intakeauth.anonymous;

import dev.intakeauth.AuthMethod;
import dev.intakeauth.AuthResult;
import dev.intakeauth.Privilege;
import dev.intakeauth.internal.LogSafe;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Which agents and services may send data anonymously: browser (RUM) agents cannot keep a secret, so
 * an intake server lets them in without a credential and checks each decoded event's agent and
 * service name against allow-lists. Exact, case-sensitive matches; an empty list allows any.
 *
 * <pre>{@code
 * AnonymousPolicy policy = AnonymousPolicy.builder().allowServices(Set.of("checkout-frontend")).build();
 * AuthResult decision = policy.authorizeEvent(serviceName, agentName);
 * }</pre>
 */
public final class AnonymousPolicy {

  /** The agents allowed by default: the RUM JavaScript agents. */
  private static final Set<String> DEFAULT_AGENTS = Set.of("rum-js", "js-base");

  private static final AuthResult ALLOWED =
      new AuthResult.Authenticated(AuthMethod.ANONYMOUS, Set.of(Privilege.EVENT_WRITE), null, null);

  private final Set<String> agents;
  private final Set<String> services;

  private AnonymousPolicy(Set<String> agents, Set<String> services) {
    this.agents = agents;
    this.services = services;
  }

  /**
   * The default policy: agents {@code rum-js} and {@code js-base}, any service.
   *
   * @return the default policy
   */
  public static AnonymousPolicy defaults() {
    return builder().build();
  }

  /**
   * Starts a builder with the defaults.
   *
   * @return a builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Decides one decoded event (or metadata block) of an anonymous request.
   *
   * @param service the event's service name, or null when it has none
   * @param agent the event's agent name, or null when it has none
   * @return an {@link AuthResult.Authenticated} when allowed, otherwise a {@link AuthResult.Forbidden}
   *     with the message {@code unauthorized: anonymous access not permitted for agent "<a>"} or
   *     {@code ... for service "<s>"}
   */
  public AuthResult authorizeEvent(@Nullable String service, @Nullable String agent) {
    if (!agents.isEmpty() && (agent == null || !agents.contains(agent))) {
      return new AuthResult.Forbidden("unauthorized: anonymous access not permitted for agent \"" + printable(agent) + "\"");
    }
    if (!services.isEmpty() && (service == null || !services.contains(service))) {
      return new AuthResult.Forbidden("unauthorized: anonymous access not permitted for service \"" + printable(service) + "\"");
    }
    return ALLOWED;
  }

  private static String printable(@Nullable String name) {
    return name == null ? "" : LogSafe.text(name);
  }

  @Override
  public String toString() {
    return "AnonymousPolicy[agents=" + agents + ", services=" + services + "]";
  }

  /** Configures an {@link AnonymousPolicy}. */
  public static final class Builder {
    private Set<String> agents = DEFAULT_AGENTS;
    private Set<String> services = Set.of();

    private Builder() {}

    /**
     * The agent names allowed anonymously ({@code allow_agent}). Default {@code rum-js}, {@code js-base};
     * empty allows any agent.
     *
     * @param agents the names
     * @return this builder
     */
    public Builder allowAgents(Set<String> agents) {
      this.agents = Set.copyOf(Objects.requireNonNull(agents, "agents"));
      return this;
    }

    /**
     * The service names allowed anonymously ({@code allow_service}). Default empty: any service.
     *
     * @param services the names
     * @return this builder
     */
    public Builder allowServices(Set<String> services) {
      this.services = Set.copyOf(Objects.requireNonNull(services, "services"));
      return this;
    }

    /**
     * Builds the policy.
     *
     * @return an immutable policy
     */
    public AnonymousPolicy build() {
      return new AnonymousPolicy(agents, services);
    }
  }
}
