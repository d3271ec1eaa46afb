// Package infra holds Tanda's adapters: the implementations of the
// interfaces the core declares (control.Store and control.Queues,
// provisioner.Fleet, bootstrap.LogStore, the job event publisher and the
// access keys' sealer), in two groups.
//
// Embedded, for one machine (`tanda up`), with no service to run:
//   - sqlite: the store and the queues, in one SQLite database;
//   - logfiles: job logs as files;
//   - localfleet: in-process instances.
//
// AWS, for `tanda serve` and the deployed stack, each through the narrow
// part of an AWS SDK client it declares (and tested against moto's server):
//   - dynamo: the store on DynamoDB;
//   - sqsqueue: the queues on SQS;
//   - ec2fleet: the fleet on EC2 CreateFleet;
//   - ec2catalog: EC2's instance types, kept in the store, and Spot prices;
//   - pricelist: On-Demand list prices from the AWS Price List API;
//   - cwlogs: job logs on CloudWatch Logs;
//   - jobevents: job state changes on EventBridge;
//   - kmskeys: access-key secrets sealed with KMS;
//   - backoff: the waits they share when retrying.
//
// The wiring that picks one group or the other is under deploy/.
package infra
