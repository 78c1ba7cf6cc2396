package io.parley.api.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The multipart/form-data reader of photo uploads. */
class MultipartBodyTest {

  private static Buffer body(String s) {
    return Buffer.buffer(s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void fieldsAndFilesAreReadWithTheirNamesAndTypes() throws Exception {
    MultipartBody m = MultipartBody.parse(body("preamble\r\n--xyz\r\n"
        + "Content-Disposition: form-data; name=\"task\"\r\n\r\nmeal\r\n"
        + "--xyz  \r\ncontent-disposition: form-data; filename=\"a \\\"b\\\".jpg\"; name=image\r\n"
        + "Content-Type: image/jpeg\r\n\r\n\r\n--x\r\nbytes\r\n"
        + "--xyz\r\n\r\nno name: ignored\r\n"
        + "--xyz\r\nContent-Disposition: form-data; name=\"caf\u00e9\"\r\n\r\n\u00e9t\u00e9\r\n"
        + "--xyz--\r\nepilogue"), "xyz");
    assertThat(m.fields()).containsEntry("task", java.util.List.of("meal")).containsEntry("caf\u00e9",
        java.util.List.of("\u00e9t\u00e9"));
    assertThat(m.files()).singleElement().satisfies(p -> {
      assertThat(p.name()).isEqualTo("image");
      assertThat(p.fileName()).isEqualTo("a \"b\".jpg");
      assertThat(p.contentType()).isEqualTo("image/jpeg");
      // The data ends only at CRLF followed by the whole delimiter.
      assertThat(p.data().toString(StandardCharsets.UTF_8)).isEqualTo("\r\n--x\r\nbytes");
    });
  }

  /** Found by UploadFuzzTest: the quoted-value pattern recursed per character, 20,000 overflowed the stack. */
  @Test
  void aLongQuotedNameIsReadWithoutRecursion() throws Exception {
    String name = "f".repeat(200_000) + "\\\"q";
    MultipartBody m = MultipartBody.parse(body("--xyz\r\nContent-Disposition: form-data; name=\"" + name
        + "\"\r\n\r\nv\r\n--xyz--\r\n"), "xyz");
    assertThat(m.fields()).containsOnlyKeys("f".repeat(200_000) + "\"q");
  }

  @Test
  void theBoundaryComesFromTheContentType() {
    assertThat(MultipartBody.boundary("multipart/form-data; boundary=abc")).contains("abc");
    assertThat(MultipartBody.boundary("multipart/form-data; charset=utf-8; Boundary=\"a b;c\"")).contains("a b;c");
    assertThat(MultipartBody.boundary("multipart/form-data")).isEmpty();
  }

  @Test
  void brokenBodiesAreRefusedInOurOwnWords() {
    for (String broken : new String[] {"", "no delimiter at all", "--b\r\nContent-Disposition: form-data; name=x",
        "--b\r\nContent-Disposition: form-data; name=x\r\n\r\nno end", "--bX"}) {
      assertThatThrownBy(() -> MultipartBody.parse(body(broken), "b")).as(broken)
          .isInstanceOf(MultipartBody.MalformedException.class).hasMessageContaining("multipart body");
    }
  }
}
