package dev.intakeauth.spring;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.security.authentication.AuthenticationTrustResolverImpl;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.method.configuration.EnableMethodSecurity;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.stereotype.Service;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * An intake application as a user would write it: controllers on the APM routes, method security
 * on the privileges, and a security filter chain that leaves the browser routes open (intake-auth
 * decides them) and keeps Spring Security's CSRF protection on.
 */
@SpringBootApplication
@EnableMethodSecurity
public class IntakeTestApplication {

  @Bean
  SecurityFilterChain security(HttpSecurity http) throws Exception {
    http.authorizeHttpRequests(a -> a
            .requestMatchers("/actuator/**", "/intake/v2/rum/events", "/config/v1/rum/agents").permitAll()
            .anyRequest().authenticated())
        .httpBasic(Customizer.withDefaults());
    return http.build();
  }

  /** The privileges, checked by Spring Security's method security. */
  @Service
  public static class Intake {
    /**
     * Takes events.
     *
     * @return who sent them
     */
    @PreAuthorize("hasAuthority('event:write')")
    public Map<String, Object> events() {
      return caller();
    }

    /**
     * Uploads a source map: a privilege anonymous callers never hold.
     *
     * @return who sent it
     */
    @PreAuthorize("hasAuthority('sourcemap:write')")
    public Map<String, Object> sourcemap() {
      return caller();
    }

    /**
     * Agent configuration, guarded by a privilege the route itself does not need.
     *
     * @return who asked
     */
    @PreAuthorize("hasAuthority('event:write')")
    public Map<String, Object> agentConfigForWriters() {
      return caller();
    }
  }

  /** What Spring Security sees of the caller. */
  static Map<String, Object> caller() {
    Authentication a = SecurityContextHolder.getContext().getAuthentication();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("name", a.getName());
    out.put("type", a.getClass().getSimpleName());
    out.put("authenticated", !new AuthenticationTrustResolverImpl().isAnonymous(a) && a.isAuthenticated());
    TreeSet<String> authorities = new TreeSet<>();
    for (GrantedAuthority g : a.getAuthorities()) {
      authorities.add(g.getAuthority());
    }
    out.put("authorities", authorities);
    return out;
  }

  @RestController
  static class IntakeController {
    private final Intake intake;

    IntakeController(Intake intake) {
      this.intake = intake;
    }

    @PostMapping("/intake/v2/events")
    ResponseEntity<Map<String, Object>> events() {
      return ResponseEntity.status(HttpStatus.ACCEPTED).body(intake.events());
    }

    @PostMapping("/intake/v2/rum/events")
    ResponseEntity<Map<String, Object>> rumEvents() {
      return ResponseEntity.status(HttpStatus.ACCEPTED).body(intake.events());
    }

    @GetMapping("/config/v1/rum/agents")
    Map<String, Object> rumAgentConfig() {
      return intake.sourcemap();
    }

    @GetMapping("/config/v1/agents")
    Map<String, Object> agentConfig() {
      return intake.agentConfigForWriters();
    }

    @GetMapping("/hello")
    String hello() {
      return "hello";
    }
  }
}
