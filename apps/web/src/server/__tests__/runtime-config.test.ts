import { describe, expect, it } from "vitest";
import { renderConfigScript } from "../runtime-config.js";

describe("renderConfigScript", () => {
  it("cannot be used to close the script element", () => {
    const script = renderConfigScript({
      apiUrl: "https://a.example.com/</script><script>",
      environment: "x",
    });
    expect(script).not.toContain("</script>");
    expect(script).toContain("\\u003c/script>");
  });
});
