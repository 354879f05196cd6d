package dev.intakeauth.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Reads a small configuration file (keys, secret tokens) whole, with a cap on its size, and decodes
 * it as strict UTF-8. Errors name the file and never quote its content, which may hold secrets.
 */
public final class BoundedTextFile {

  /** The largest file read: 1 MiB, far more than any key or token file needs. */
  public static final int MAX_BYTES = 1 << 20;

  private BoundedTextFile() {}

  /**
   * Reads at most {@code maxBytes + 1} bytes of a file; a file that has more is refused without
   * reading the rest.
   *
   * @param file the file; a symbolic link is followed
   * @param maxBytes the largest accepted size
   * @param source the file's name for errors
   * @return the bytes
   * @throws IOException if the file cannot be read
   * @throws IllegalArgumentException if it is larger than {@code maxBytes}, or not a regular file
   */
  public static byte[] readBytes(Path file, int maxBytes, String source) throws IOException {
    // Opening a FIFO blocks until a writer comes, and a device may never end: only regular files are read.
    if (!Files.readAttributes(file, BasicFileAttributes.class).isRegularFile()) {
      throw new IllegalArgumentException(source + ": not a regular file (a directory, a FIFO or a device); not read");
    }
    try (InputStream in = Files.newInputStream(file)) {
      byte[] bytes = in.readNBytes(maxBytes + 1);
      if (bytes.length > maxBytes) {
        throw new IllegalArgumentException(source + ": larger than " + maxBytes + " bytes; not read");
      }
      return bytes;
    }
  }

  /**
   * Decodes bytes as UTF-8, refusing anything that is not.
   *
   * @param bytes the bytes
   * @param source the file's name for errors
   * @return the text
   * @throws IllegalArgumentException naming the line of the first byte that is not UTF-8
   */
  public static String decode(byte[] bytes, String source) {
    CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(bytes);
    CharBuffer out = CharBuffer.allocate(bytes.length);
    CoderResult result = decoder.decode(in, out, true);
    if (!result.isError()) {
      result = decoder.flush(out);
    }
    if (result.isError()) {
      int line = 1;
      for (int i = 0; i < in.position(); i++) {
        if (bytes[i] == '\n') {
          line++;
        }
      }
      throw new IllegalArgumentException(source + ":" + line + ": not UTF-8 text (a binary file?)");
    }
    return out.flip().toString();
  }

  /**
   * {@link #readBytes} then {@link #decode}.
   *
   * @param file the file
   * @param maxBytes the largest accepted size
   * @param source the file's name for errors
   * @return the text
   * @throws IOException if the file cannot be read
   * @throws IllegalArgumentException if it is too large, not a regular file or not UTF-8
   */
  public static String read(Path file, int maxBytes, String source) throws IOException {
    return decode(readBytes(file, maxBytes, source), source);
  }
}
