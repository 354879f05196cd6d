package dev.intakeauth.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class QuickStartTest {

  @Test
  void printsTheAnswerForEachRequest() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    QuickStart.run(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    String[] lines = bytes.toString(StandardCharsets.UTF_8).split("\n");
    assertThat(lines).hasSize(9);
    assertThat(lines[0]).contains("-> 200 SECRET_TOKEN");
    assertThat(lines[1]).contains("-> 200 API_KEY [event:write]");
    assertThat(lines[2]).contains("-> 403").contains("API Key not permitted action \\\"config_agent:read\\\"");
    assertThat(lines[3]).contains("-> 401 {\"error\": \"authentication failed\"}");
    assertThat(lines[4]).contains("-> 401").contains("missing or improperly formatted Authorization header");
    assertThat(lines[5]).contains("-> 401").contains("unknown Authentication header Basic");
    assertThat(lines[6]).contains("-> 200 ANONYMOUS [");
    assertThat(lines[7]).contains("-> 401").contains("missing or improperly formatted Authorization header");
    assertThat(lines[8]).contains("-> 403 {\"error\": \"unauthorized: anonymous access not permitted for sourcemap uploads\"}");
  }
}
