// Benchmark of the close-out activity summary. Run: npm run bench (or: npx tsx bench/activity.ts)
//
// activity-summary: 10,000 CloudTrail events (a mix of S3, EC2, Logs, Lambda and unmapped
// sign-in events, 5% denied, 2% other errors, three resources each at most) summarised against a
// 60-action policy with wildcards. The catalogue is warmed first (it reads each service's data
// once per process); the figure is the median of ROUNDS runs. Target: < 200 ms.
//
// Environment: BENCH_ACTIVITY_EVENTS (10000), BENCH_ACTIVITY_ROUNDS (5).
import { summariseActivity, type ActivityEvent } from "../src/policy/activity.js";
import type { PolicyDocument } from "../src/domain/types.js";
import { loadCatalogue } from "../src/iam-data.js";

const EVENTS = Number(process.env.BENCH_ACTIVITY_EVENTS ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ACTIVITY_ROUNDS ?? 5);

const OPS: Array<[string, string]> = [
  ["s3.amazonaws.com", "ListBuckets"],
  ["s3.amazonaws.com", "GetBucketPolicy"],
  ["s3.amazonaws.com", "ListObjectsV2"],
  ["s3.amazonaws.com", "CopyObject"],
  ["ec2.amazonaws.com", "DescribeInstances"],
  ["ec2.amazonaws.com", "DescribeSecurityGroups"],
  ["logs.amazonaws.com", "FilterLogEvents"],
  ["logs.amazonaws.com", "GetLogEvents"],
  ["lambda.amazonaws.com", "GetFunction20150331v2"],
  ["lambda.amazonaws.com", "ListFunctions20150331"],
  ["signin.amazonaws.com", "ConsoleLogin"],
  ["sts.amazonaws.com", "GetCallerIdentity"],
];

const policy: PolicyDocument = {
  Version: "2012-10-17",
  Statement: [
    { Effect: "Allow", Action: ["s3:Get*", "s3:List*", "ec2:Describe*", "logs:GetLogEvents", "logs:DescribeLogStreams", "lambda:GetFunction"], Resource: "*" },
    { Effect: "Deny", Action: "s3:PutObject", Resource: "*" },
  ],
};

const start = Date.parse("2026-11-30T09:00:00Z");
const events: ActivityEvent[] = [];
for (let i = 0; i < EVENTS; i++) {
  const [eventSource, eventName] = OPS[i % OPS.length] ?? OPS[0]!;
  const e: ActivityEvent = {
    eventTime: new Date(start + i * 1000).toISOString(),
    eventSource,
    eventName,
    resources: i % 3 === 0 ? [] : [`arn:aws:s3:::bucket-${i % 50}`, `i-${(i % 200).toString(16).padStart(8, "0")}`].slice(0, (i % 3) + 1),
  };
  if (i % 20 === 0) e.errorCode = i % 40 === 0 ? "AccessDenied" : "Client.UnauthorizedOperation";
  else if (i % 50 === 1) e.errorCode = "NoSuchBucket";
  events.push(e);
}

const catalogue = loadCatalogue();
summariseActivity(catalogue, policy, events.slice(0, 100)); // warm the catalogue's service data
const times: number[] = [];
let last = summariseActivity(catalogue, policy, []);
for (let r = 0; r < ROUNDS; r++) {
  const t0 = performance.now();
  last = summariseActivity(catalogue, policy, events);
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)] ?? 0;
console.log(
  `activity summary over ${EVENTS} events × ${ROUNDS} rounds (Node ${process.version}): ${last.granted.length} granted, ${last.used.length} used, ${last.deniedTotal} denied`,
);
console.log(`bench activity-summary events=${EVENTS} ms=${median.toFixed(1)} max_ms=${(times[times.length - 1] ?? 0).toFixed(1)}`);
