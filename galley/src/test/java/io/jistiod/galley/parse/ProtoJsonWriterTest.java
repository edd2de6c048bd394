package io.jistiod.galley.parse;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.jistiod.galley.api.networking.v1alpha3.VirtualService;
import io.jistiod.galley.config.IstioKinds;
import org.junit.jupiter.api.Test;

/** ProtoJsonWriter writes what Go's protojson and encoding/json write. */
class ProtoJsonWriterTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void writesIstioObjectsAsProtojsonDoesAndReadsBackTheSame() throws Exception {
    String spec =
        """
        {"hosts":["a"],"http":[{"name":"r","match":[{"uri":{"prefix":"/"},"port":80}],
          "redirect":{"derivePort":"FROM_PROTOCOL_DEFAULT","scheme":"https"},
          "retries":{},"timeout":"0.001s","mirrors":[{"destination":{"host":"m"},
          "percentage":{"value":50}}],"corsPolicy":{"allowCredentials":true,"maxAge":"1.500s"},
          "route":[{"destination":{}}]}]}
        """;
    VirtualService.Builder vs = VirtualService.newBuilder();
    ProtoJsonReader.merge(JSON.readTree(spec), vs, "spec");
    // Oneof members and set messages are written even when default ("derivePort" is 0, "retries"
    // and "destination" empty); doubles that are whole numbers as integers, as Go writes them.
    assertThat(ProtoJsonWriter.write(vs.build())).isEqualTo(JSON.readTree(spec));
    assertThat(IstioKinds.VIRTUAL_SERVICE.specPrototype()).isNotNull();
  }

  @Test
  void defaultsAreLeftOut() throws Exception {
    assertThat(ProtoJsonWriter.write(VirtualService.getDefaultInstance()).toString())
        .isEqualTo("{}");
    VirtualService.Builder vs = VirtualService.newBuilder();
    ProtoJsonReader.merge(
        JSON.readTree("{\"http\":[{\"route\":[{\"destination\":{\"host\":\"a\"},\"weight\":0}]}]}"),
        vs,
        "spec");
    assertThat(ProtoJsonWriter.write(vs.build()).toString())
        .isEqualTo("{\"http\":[{\"route\":[{\"destination\":{\"host\":\"a\"}}]}]}");
  }
}
