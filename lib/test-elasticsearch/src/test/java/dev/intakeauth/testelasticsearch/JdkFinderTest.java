package dev.intakeauth.testelasticsearch;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JdkFinderTest {

  @TempDir
  Path tmp;

  /** A fake JDK home: a release file and empty bin/java and bin/javac. */
  private Path jdk(String name, String javaVersion) throws IOException {
    Path home = tmp.resolve(name);
    Files.createDirectories(home.resolve("bin"));
    Files.writeString(home.resolve("release"), "IMPLEMENTOR=\"Test\"\nJAVA_VERSION=\"" + javaVersion + "\"\nJAVA_VERSION_DATE=\"2026-01-01\"\n");
    Files.createFile(home.resolve("bin/java"));
    Files.createFile(home.resolve("bin/javac"));
    return home;
  }

  private JdkFinder finder(int runningFeature, String property, Map<String, String> env) {
    return new JdkFinder(tmp.resolve("running"), runningFeature, property, env, tmp.resolve("toolchains.xml"), tmp.resolve("jvm"));
  }

  @Test
  void theRunningJvmWinsWhenItIsNewEnough() throws IOException {
    jdk("jvm/temurin-25", "25.0.3");
    assertThat(finder(21, null, Map.of()).find(21)).hasValueSatisfying(j -> {
      assertThat(j.home()).isEqualTo(tmp.resolve("running"));
      assertThat(j.origin()).isEqualTo("the running JVM");
    });
    assertThat(finder(17, null, Map.of()).find(17).orElseThrow().feature()).isEqualTo(17);
  }

  @Test
  void theLowestSufficientJdkInTheJvmDirectoryIsTaken() throws IOException {
    jdk("jvm/java-17-openjdk-amd64", "17.0.15");
    jdk("jvm/temurin-25-jdk-amd64", "25.0.3");
    Path jdk21 = jdk("jvm/zulu-21", "21.0.5");
    jdk("jvm/java-8", "1.8.0_392");
    Files.createDirectories(tmp.resolve("jvm/no-release/bin"));
    assertThat(finder(17, null, Map.of()).find(21)).hasValueSatisfying(j -> {
      assertThat(j.home()).isEqualTo(jdk21);
      assertThat(j.feature()).isEqualTo(21);
    });
  }

  @Test
  void noneIsFoundWhenEveryCandidateIsTooOld() throws IOException {
    jdk("jvm/java-17-openjdk-amd64", "17.0.15");
    jdk("jvm/java-8", "1.8.0_392");
    Path jre = jdk("jvm/jre-21", "21.0.5");
    Files.delete(jre.resolve("bin/javac"));
    assertThat(finder(17, null, Map.of("JAVA_HOME", tmp.resolve("jvm/java-17-openjdk-amd64").toString())).find(21)).isEmpty();
  }

  @Test
  void anExplicitPropertyComesBeforeTheEnvironmentAndTheJvmDirectory() throws IOException {
    Path explicit = jdk("mine/jdk-22", "22");
    Path esJavaHome = jdk("other/jdk-23", "23.0.1");
    jdk("jvm/zulu-21", "21.0.5");
    assertThat(finder(17, explicit.toString(), Map.of("ES_JAVA_HOME", esJavaHome.toString())).find(21))
        .hasValueSatisfying(j -> {
          assertThat(j.home()).isEqualTo(explicit);
          assertThat(j.origin()).isEqualTo("-D" + JdkFinder.PROPERTY);
        });
    assertThat(finder(17, null, Map.of("ES_JAVA_HOME", esJavaHome.toString())).find(21).orElseThrow().home()).isEqualTo(esJavaHome);
  }

  @Test
  void aTooOldExplicitJdkIsPassedOver() throws IOException {
    Path old = jdk("mine/jdk-17", "17.0.2");
    Path jdk21 = jdk("jvm/zulu-21", "21.0.5");
    assertThat(finder(17, old.toString(), Map.of()).find(21).orElseThrow().home()).isEqualTo(jdk21);
  }

  @Test
  void aJdkToolchainIsACandidate() throws IOException {
    Path chained = jdk("toolchain/jdk-24", "24.0.1");
    Files.writeString(tmp.resolve("toolchains.xml"), """
        <?xml version="1.0" encoding="UTF-8"?>
        <toolchains>
          <toolchain>
            <type>netbeans</type>
            <configuration><jdkHome>/nowhere</jdkHome></configuration>
          </toolchain>
          <toolchain>
            <type>jdk</type>
            <provides><version>24</version></provides>
            <configuration><jdkHome>%s</jdkHome></configuration>
          </toolchain>
        </toolchains>
        """.formatted(chained).strip());
    assertThat(finder(17, null, Map.of()).find(21)).hasValueSatisfying(j -> {
      assertThat(j.home()).isEqualTo(chained);
      assertThat(j.feature()).isEqualTo(24);
      assertThat(j.origin()).isEqualTo("toolchains.xml");
    });
  }

  @Test
  void aBrokenToolchainsFileIsIgnored() throws IOException {
    Files.writeString(tmp.resolve("toolchains.xml"), "<toolchains><toolchain>");
    Path jdk21 = jdk("jvm/zulu-21", "21");
    assertThat(finder(17, null, Map.of()).find(21).orElseThrow().home()).isEqualTo(jdk21);
  }

  @Test
  void elasticsearchNineNeedsJavaTwentyOne() {
    assertThat(JdkFinder.minimumJavaFor("7.17.10")).isEqualTo(17);
    assertThat(JdkFinder.minimumJavaFor("8.15.0")).isEqualTo(17);
    assertThat(JdkFinder.minimumJavaFor("9.2.0")).isEqualTo(21);
    assertThat(JdkFinder.minimumJavaFor("10.0.0")).isEqualTo(21);
  }

  @Test
  void aReleaseFileWithAnOverlongVersionIsPassedOverNotFatal() throws IOException {
    jdk("jvm/broken", "99999999999.0.1");
    Path jdk21 = jdk("jvm/zulu-21", "21.0.5");
    assertThat(finder(17, null, Map.of()).find(21)).hasValueSatisfying(j -> assertThat(j.home()).isEqualTo(jdk21));
  }
}
