package dev.intakeauth.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The published library modules, the ones with a module-info or a manifest module name (each with
 * sources and javadoc jars), are exactly the artifacts the BOM lists, and each carries the metadata Maven Central
 * asks of it.
 */
class PublishedArtifactsTest {

  private static final Path ROOT = Path.of("..", "..");
  private static final Pattern MODULE = Pattern.compile("<module>([^<]+)</module>");
  private static final Pattern ARTIFACT_ID = Pattern.compile("<artifactId>([^<]+)</artifactId>");

  @Test
  void theBomListsEveryPublishedLibraryModuleAndNothingElse() throws IOException {
    String bom = pom(ROOT.resolve("lib/bom/pom.xml"));
    String managed = between(bom, "<dependencyManagement>", "</dependencyManagement>");
    TreeSet<String> listed = new TreeSet<>(all(ARTIFACT_ID, managed));

    assertThat(listed).as("the BOM's artifacts").isEqualTo(new TreeSet<>(publishedLibraries()));
  }

  @Test
  void everyPublishedLibraryModuleHasANameAndADescription() throws IOException {
    for (Path module : libraryModules()) {
      String pom = withoutParent(pom(module.resolve("pom.xml")));
      assertThat(pom).as(module.toString()).containsPattern("<name>[^<]+</name>").containsPattern("<description>[^<]+</description>")
          .doesNotContain("<maven.deploy.skip>true</maven.deploy.skip>");
    }
  }

  @Test
  void everyPublishedPomCarriesTheProjectMetadata() throws IOException {
    for (Path pom : List.of(ROOT.resolve("pom.xml"), ROOT.resolve("lib/bom/pom.xml"))) {
      assertThat(pom(pom)).as(pom.toString())
          .contains("<url>", "<licenses>", "<name>Apache-2.0</name>", "<developers>", "<scm>", "<connection>", "<developerConnection>");
    }
    assertThat(ROOT.resolve("LICENSE")).content().contains("Apache License", "Version 2.0, January 2004");
  }

  private static List<String> publishedLibraries() throws IOException {
    List<String> ids = new ArrayList<>();
    for (Path module : libraryModules()) {
      Matcher id = ARTIFACT_ID.matcher(withoutParent(pom(module.resolve("pom.xml"))));
      assertThat(id.find()).as(module.toString()).isTrue();
      ids.add(id.group(1));
    }
    assertThat(ids).as("published library modules").isNotEmpty();
    return ids;
  }

  /**
   * The reactor's published libraries: the modules with a module-info, and those that name their
   * module in the manifest instead (the Spring Boot starter).
   */
  private static List<Path> libraryModules() throws IOException {
    List<Path> modules = new ArrayList<>();
    for (String module : all(MODULE, pom(ROOT.resolve("pom.xml")))) {
      Path dir = ROOT.resolve(module.strip());
      if (Files.exists(dir.resolve("src/main/java/module-info.java"))
          || Files.readString(dir.resolve("pom.xml")).contains("<Automatic-Module-Name>")) {
        modules.add(dir);
      }
    }
    return modules;
  }

  private static String pom(Path path) throws IOException {
    assertThat(path).as("run from the module's own directory inside the project").isRegularFile();
    return Files.readString(path).replaceAll("(?s)<!--.*?-->", "");
  }

  private static String withoutParent(String pom) {
    return pom.replaceFirst("(?s)<parent>.*?</parent>", "");
  }

  private static String between(String text, String start, String end) {
    int from = text.indexOf(start);
    int to = text.indexOf(end, from);
    assertThat(from).as(start).isNotNegative();
    assertThat(to).as(end).isPositive();
    return text.substring(from, to);
  }

  private static List<String> all(Pattern pattern, String text) {
    List<String> found = new ArrayList<>();
    Matcher matcher = pattern.matcher(text);
    while (matcher.find()) {
      found.add(matcher.group(1).strip());
    }
    return found;
  }
}
