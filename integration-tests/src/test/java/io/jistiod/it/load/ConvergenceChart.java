package io.jistiod.it.load;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import javax.imageio.ImageIO;

/**
 * Draws convergence p99 (worst over the changes) against proxies, one line per server, from the TSV
 * the comparison appends to (the latest figure per server and proxy count wins). Java2D, headless:
 * no chart library.
 *
 * <p>{@code java ... ConvergenceChart RESULTS.tsv SERVICES OUT.png}
 */
public final class ConvergenceChart {
  private static final int W = 720;
  private static final int H = 420;
  private static final int LEFT = 80;
  private static final int RIGHT = 30;
  private static final int TOP = 50;
  private static final int BOTTOM = 60;
  private static final Map<String, Color> COLORS =
      Map.of(ServerProcess.OURS, new Color(0x1f77b4), ServerProcess.REFERENCE, new Color(0xd62728));

  private ConvergenceChart() {}

  public static void main(String[] args) throws IOException {
    System.setProperty("java.awt.headless", "true");
    int services = Integer.parseInt(args[1]);
    Map<String, TreeMap<Integer, Double>> series =
        read(Files.readAllLines(Path.of(args[0])), services);
    draw(series, services, Path.of(args[2]));
    System.out.println("wrote " + args[2] + " " + series);
  }

  /** server -> proxies -> worst p99 (ms), for {@code services}; later lines replace earlier. */
  static Map<String, TreeMap<Integer, Double>> read(List<String> tsv, int services) {
    Map<String, TreeMap<Integer, Double>> out = new LinkedHashMap<>();
    for (String line : tsv) {
      if (line.startsWith("#") || line.isBlank()) {
        continue;
      }
      String[] f = line.split("\t");
      if (Integer.parseInt(f[1]) != services) {
        continue;
      }
      out.computeIfAbsent(f[3], k -> new TreeMap<>())
          .put(Integer.parseInt(f[2]), Double.parseDouble(f[10]));
    }
    return out;
  }

  static void draw(Map<String, TreeMap<Integer, Double>> series, int services, Path png)
      throws IOException {
    BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setRenderingHint(
        RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, W, H);
    int maxX = 1;
    double maxY = 1;
    for (TreeMap<Integer, Double> s : series.values()) {
      maxX = Math.max(maxX, s.lastKey());
      for (double v : s.values()) {
        maxY = Math.max(maxY, v);
      }
    }
    maxY = niceCeiling(maxY);
    int plotW = W - LEFT - RIGHT;
    int plotH = H - TOP - BOTTOM;
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
    g.setColor(Color.BLACK);
    g.drawString(
        "Convergence p99 (worst change) vs proxies, " + services + " services", LEFT, TOP - 25);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    for (int i = 0; i <= 5; i++) {
      double v = maxY * i / 5;
      int y = TOP + plotH - (int) (plotH * i / 5.0);
      g.setColor(new Color(0xdddddd));
      g.drawLine(LEFT, y, LEFT + plotW, y);
      g.setColor(Color.BLACK);
      g.drawString(String.format(Locale.ROOT, "%.0f", v), LEFT - 45, y + 4);
    }
    List<Integer> xs = new ArrayList<>();
    series
        .values()
        .forEach(
            s ->
                s.keySet()
                    .forEach(
                        x -> {
                          if (!xs.contains(x)) {
                            xs.add(x);
                          }
                        }));
    for (int x : xs) {
      int px = LEFT + (int) ((long) plotW * x / maxX);
      g.setColor(new Color(0xeeeeee));
      g.drawLine(px, TOP, px, TOP + plotH);
      g.setColor(Color.BLACK);
      g.drawString(String.valueOf(x), px - 12, TOP + plotH + 18);
    }
    g.drawLine(LEFT, TOP + plotH, LEFT + plotW, TOP + plotH);
    g.drawLine(LEFT, TOP, LEFT, TOP + plotH);
    g.drawString(
        "proxies (half Envoy delta ADS, half proxyless gRPC)", LEFT + plotW / 2 - 150, H - 15);
    g.rotate(-Math.PI / 2);
    g.drawString("p99 (ms)", -(TOP + plotH / 2 + 25), 20);
    g.rotate(Math.PI / 2);
    int legendY = TOP + 10;
    for (Map.Entry<String, TreeMap<Integer, Double>> s : series.entrySet()) {
      Color c = COLORS.getOrDefault(s.getKey(), Color.GRAY);
      g.setColor(c);
      g.setStroke(new BasicStroke(2.5f));
      int px0 = -1;
      int py0 = -1;
      for (Map.Entry<Integer, Double> p : s.getValue().entrySet()) {
        int px = LEFT + (int) ((long) plotW * p.getKey() / maxX);
        int py = TOP + plotH - (int) (plotH * p.getValue() / maxY);
        if (px0 >= 0) {
          g.drawLine(px0, py0, px, py);
        }
        g.fillOval(px - 4, py - 4, 8, 8);
        px0 = px;
        py0 = py;
      }
      g.fillRect(LEFT + 15, legendY - 8, 14, 8);
      g.setColor(Color.BLACK);
      g.drawString(
          s.getKey().equals(ServerProcess.OURS) ? "jistiod (ours)" : "Istio 1.27 pilot-discovery",
          LEFT + 35,
          legendY);
      legendY += 18;
    }
    g.dispose();
    Files.createDirectories(png.toAbsolutePath().getParent());
    ImageIO.write(img, "png", png.toFile());
  }

  /** 1, 2 or 5 times a power of ten, at or above {@code v}. */
  static double niceCeiling(double v) {
    double p = Math.pow(10, Math.floor(Math.log10(v)));
    for (double m : new double[] {1, 2, 5, 10}) {
      if (m * p >= v) {
        return m * p;
      }
    }
    return 10 * p;
  }
}
