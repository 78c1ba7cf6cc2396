package io.parley.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.UnknownHostException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class CidrTest {

  @ParameterizedTest
  @CsvSource({
      "127.0.0.0/8, 127.0.0.1, true",
      "127.0.0.0/8, 128.0.0.1, false",
      "10.0.0.0/8, 10.255.255.255, true",
      "172.16.0.0/12, 172.31.0.1, true",
      "172.16.0.0/12, 172.32.0.1, false",
      "100.64.0.0/10, 100.127.255.254, true",
      "100.64.0.0/10, 100.128.0.0, false",
      "192.168.1.7, 192.168.1.7, true",
      "192.168.1.7, 192.168.1.8, false",
      "0.0.0.0/0, 8.8.8.8, true",
      "0.0.0.0/0, ::1, false",
      "fe80::/10, fe80::1, true",
      "fe80::/10, fec0::1, false",
      "::1/128, ::1, true",
  })
  void containment(String cidr, String address, boolean expected) throws UnknownHostException {
    assertThat(Cidr.parse(cidr).contains(InetAddress.getByName(address))).isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(strings = {"10.0.0.0/33", "::/129", "example.com", "10.0.0.0/x", "", "1.2.3.4/-1"})
  void rejectsNonsense(String text) {
    assertThatThrownBy(() -> Cidr.parse(text)).isInstanceOf(IllegalArgumentException.class);
  }

  @ParameterizedTest
  @CsvSource({"10.1.2.3/8, 10.0.0.0/8", "192.168.7.9/16, 192.168.0.0/16"})
  void normalisesHostBits(String in, String out) {
    assertThat(Cidr.parse(in)).isEqualTo(Cidr.parse(out));
    assertThat(Cidr.parse(in).toString()).isEqualTo(out);
  }
}
