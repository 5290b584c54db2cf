import { describe, expect, it } from "vitest";
import { assertWebhookSecret } from "../src/app.js";

describe("starting the app", () => {
  it.each([
    [{ NODE_ENV: "production" }],
    [{ NODE_ENV: "production", WEBHOOK_SECRET: "" }],
    [{ NODE_ENV: "production", WEBHOOK_SECRET: "development" }],
    [{ NODE_ENV: "production", WEBHOOK_SECRET: "short" }],
  ])("refuses production without a real webhook secret: %j", (env) => {
    expect(() => assertWebhookSecret(env)).toThrow(/WEBHOOK_SECRET/);
  });

  it("accepts a real secret in production, and anything in development", () => {
    expect(() => assertWebhookSecret({ NODE_ENV: "production", WEBHOOK_SECRET: "9f2c1e7a4b6d8f0e1a3c5b7d" })).not.toThrow();
    expect(() => assertWebhookSecret({})).not.toThrow();
  });
});
