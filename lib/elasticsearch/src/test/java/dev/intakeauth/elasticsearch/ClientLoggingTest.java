package dev.intakeauth.elasticsearch;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.apache.commons.logging.impl.Slf4jLogFactory;
import org.elasticsearch.client.RestClient;
import org.junit.jupiter.api.Test;

/** The REST client and Apache HttpClient log through commons-logging; their records reach SLF4J. */
class ClientLoggingTest {

  @Test
  void theRestClientsLoggerIsBackedBySlf4j() {
    assertThat(LogFactory.getFactory()).isInstanceOf(Slf4jLogFactory.class);
    assertThat(LogFactory.getLog(RestClient.class).getClass().getName())
        .startsWith(Slf4jLogFactory.class.getName() + "$");
    assertThat(LogFactory.getLog("org.apache.http.impl.nio.client.InternalHttpAsyncClient").getClass().getName())
        .startsWith(Slf4jLogFactory.class.getName() + "$");
  }

  @Test
  void aRecordLoggedByTheClientIsWrittenByTheSlf4jBinding() {
    // The tests' binding is slf4j-simple, which writes to the current System.err.
    Log log = LogFactory.getLog(RestClient.class);
    PrintStream saved = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      log.warn("request to a node failed (logging bridge check)");
    } finally {
      System.setErr(saved);
    }
    // commons-logging marks its records with the SLF4J marker COMMONS-LOGGING, which slf4j-simple prints.
    assertThat(captured.toString(StandardCharsets.UTF_8))
        .contains("WARN " + RestClient.class.getName() + " - ")
        .contains("COMMONS-LOGGING")
        .contains("request to a node failed (logging bridge check)");
  }
}
