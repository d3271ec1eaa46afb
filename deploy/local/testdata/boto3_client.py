"""Drives a running Tanda with boto3, as a user's script would, and prints
what it saw as JSON for the Go tests (standalone/compat_test.go) to judge.

Usage: boto3_client.py SCENARIO, with TANDA_ENDPOINT and the AWS_* variables
naming the credentials and config files `tanda up` wrote.

Scenarios:
  shapes      every operation the aws CLI serves, once, in an order that
              leaves each one something to show; prints {operation: response}
  identical   loops of identical SubmitJob, RegisterJobDefinition and
              CreateSchedulingPolicy calls, and one SubmitJob retried by
              botocore with its invocation id
  deregister  DeregisterJobDefinition by a bare name
  errors      the client mistakes whose error code and status AWS's tools
              rely on
"""

import json
import os
import sys
import time

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError


def client(region=None):
    session = boto3.session.Session()
    return session.client(
        "batch",
        endpoint_url=os.environ["TANDA_ENDPOINT"],
        region_name=region,
        config=Config(retries={"mode": "standard", "max_attempts": 1}),
    )


def header(request, name):
    value = request.headers.get(name)
    return value.decode() if isinstance(value, bytes) else value


def strip(resp):
    resp.pop("ResponseMetadata", None)
    return resp


def wait_for(what, cond, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = cond()
        if got:
            return got
        time.sleep(0.2)
    raise SystemExit(f"timed out waiting for {what}")


def shapes():
    b = client()
    out = {}

    def call(op, **kw):
        method = "".join("_" + c.lower() if c.isupper() else c for c in op).lstrip("_")
        resp = strip(getattr(b, method)(**kw))
        out.setdefault(op, resp)
        return resp

    call("CreateComputeEnvironment", computeEnvironmentName="shapes-ce", type="MANAGED",
         serviceRole="arn:aws:iam::123456789012:role/AWSBatchServiceRole",
         computeResources={"type": "EC2", "minvCpus": 0, "maxvCpus": 8, "desiredvCpus": 0,
                           "instanceTypes": ["local"], "subnets": ["subnet-220c0e0a"],
                           "securityGroupIds": ["sg-cf5093b2"], "instanceRole": "ecsInstanceRole",
                           "ec2KeyPair": "id_rsa", "tags": {"Name": "Batch Instance - shapes"}})
    call("UpdateComputeEnvironment", computeEnvironment="shapes-ce", computeResources={"maxvCpus": 16})
    call("DescribeComputeEnvironments", computeEnvironments=["shapes-ce"])

    policy = call("CreateSchedulingPolicy", name="shapes-fair",
                  fairsharePolicy={"shareDecaySeconds": 3600, "computeReservation": 10,
                                   "shareDistribution": [{"shareIdentifier": "a", "weightFactor": 0.5}]})
    call("UpdateSchedulingPolicy", arn=policy["arn"], fairsharePolicy={"shareDecaySeconds": 600})
    call("DescribeSchedulingPolicies", arns=[policy["arn"]])
    call("ListSchedulingPolicies")

    queue = call("CreateJobQueue", jobQueueName="shapes-q", priority=1,
                 computeEnvironmentOrder=[{"order": 1, "computeEnvironment": "shapes-ce"}])
    call("UpdateJobQueue", jobQueue="shapes-q", priority=2)
    call("DescribeJobQueues", jobQueues=["shapes-q"])

    # AWS's documented examples: sleep60, and sleep10 deregistered by name.
    # The model's examples give resources as resourceRequirements, the aws
    # CLI's older ones as vcpus and memory: answers for both.
    call("RegisterJobDefinition", jobDefinitionName="sleep60", type="container",
         containerProperties={"image": "busybox", "command": ["true"],
                              "resourceRequirements": [{"type": "MEMORY", "value": "128"},
                                                       {"type": "VCPU", "value": "1"}]})
    call("DescribeJobDefinitions", jobDefinitions=["sleep60:1"])
    b.register_job_definition(jobDefinitionName="sleep60-legacy", type="container",
                              containerProperties={"image": "busybox", "vcpus": 1, "memory": 128, "command": ["true"]})
    out["DescribeJobDefinitions (vcpus and memory)"] = strip(b.describe_job_definitions(jobDefinitions=["sleep60-legacy:1"]))
    b.register_job_definition(jobDefinitionName="sleep10", type="container",
                              containerProperties={"image": "busybox", "vcpus": 1, "memory": 128,
                                                   "command": ["sleep", "10"]})
    call("DeregisterJobDefinition", jobDefinition="sleep10")

    job = call("SubmitJob", jobName="example", jobQueue="shapes-q", jobDefinition="sleep60-legacy")
    wait_for("the example job to succeed", lambda: b.describe_jobs(jobs=[job["jobId"]])["jobs"][0]["status"] == "SUCCEEDED")
    call("DescribeJobs", jobs=[job["jobId"]])
    call("ListJobs", jobQueue="shapes-q", jobStatus="SUCCEEDED")
    call("GetJobQueueSnapshot", jobQueue="shapes-q")
    call("CancelJob", jobId=job["jobId"], reason="shapes")
    call("TerminateJob", jobId=job["jobId"], reason="shapes")

    call("TagResource", resourceArn=queue["jobQueueArn"], tags={"Department": "Engineering", "Stage": "Alpha"})
    call("ListTagsForResource", resourceArn=queue["jobQueueArn"])
    call("UntagResource", resourceArn=queue["jobQueueArn"], tagKeys=["Stage"])

    call("UpdateJobQueue", jobQueue="shapes-q", state="DISABLED")
    call("DeleteJobQueue", jobQueue="shapes-q")
    call("DeleteSchedulingPolicy", arn=policy["arn"])
    b.update_compute_environment(computeEnvironment="shapes-ce", state="DISABLED")

    def deleted():
        try:
            call("DeleteComputeEnvironment", computeEnvironment="shapes-ce")
            return True
        except ClientError as e:
            if "JobQueue" not in e.response["Error"]["Message"]:
                raise
            return False  # the queue is still being deleted
    wait_for("the compute environment to be deletable", deleted)
    return out


def identical():
    """Identical calls in the same second, as a loop makes them. Each loop is
    tried until two of its calls carried the same signature (x-amz-date has
    one-second resolution), so the test covers what AWS accepts and a replay
    cache would refuse."""
    b = client()
    sent = []
    b.meta.events.register("before-send.batch.*", lambda request, **_: sent.append(
        (header(request, "Authorization"), header(request, "amz-sdk-invocation-id"))))

    def loop(make):
        for attempt in range(5):
            del sent[:]
            made = [make(attempt) for _ in range(3)]
            auths = [a for a, _ in sent]
            if len(set(auths)) < len(auths):
                return {"made": made, "sameSignature": True,
                        "invocationIds": len({i for _, i in sent})}
        return {"made": made, "sameSignature": False, "invocationIds": len({i for _, i in sent})}

    out = {}
    out["SubmitJob"] = loop(lambda _: b.submit_job(jobName="same", jobQueue="default", jobDefinition="example")["jobId"])
    props = {"image": "busybox", "vcpus": 1, "memory": 128, "command": ["true"]}
    # A fresh name per try: a try whose three calls were not signed within
    # one second is made again, and its revisions must start at 1 again.
    out["RegisterJobDefinition"] = loop(lambda attempt: b.register_job_definition(
        jobDefinitionName=f"dup-{attempt}", type="container", containerProperties=props)["revision"])

    def create_and_delete(_):
        arn = b.create_scheduling_policy(name="same-policy")["arn"]
        b.delete_scheduling_policy(arn=arn)
        return arn
    out["CreateSchedulingPolicy"] = loop(create_and_delete)

    # An SDK retry: botocore sends the same call again, with the same
    # invocation id, after the first answer is lost to it.
    retried = client()
    sent_ids = []
    retried.meta.events.register("before-send.batch.SubmitJob", lambda request, **_: sent_ids.append(
        header(request, "amz-sdk-invocation-id")))
    retried.meta.events.register("needs-retry.batch.SubmitJob", lambda attempts, **_: 0 if attempts == 1 else None)
    job = retried.submit_job(jobName="retried", jobQueue="default", jobDefinition="example")
    listed = b.list_jobs(jobQueue="default", filters=[{"name": "JOB_NAME", "values": ["retried"]}])
    out["retry"] = {"jobId": job["jobId"], "invocationIds": sent_ids,
                    "jobs": [j["jobId"] for j in listed["jobSummaryList"]]}
    return out


def deregister():
    b = client()
    for _ in range(3):
        b.register_job_definition(jobDefinitionName="byname", type="container",
                                  containerProperties={"image": "busybox", "vcpus": 1, "memory": 128})
    b.deregister_job_definition(jobDefinition="byname")
    defs = b.describe_job_definitions(jobDefinitionName="byname")["jobDefinitions"]
    return {str(d["revision"]): d["status"] for d in defs}


def errors():
    b = client()
    cases = {
        "definition revision missing": lambda: b.submit_job(jobName="x", jobQueue="default", jobDefinition="example:99"),
        "queue ARN malformed": lambda: b.submit_job(jobName="x", jobDefinition="example",
                                                    jobQueue="arn:aws:batch:us-east-1:123456789012:jobqueue/default"),
        "queue ARN of another region": lambda: b.submit_job(jobName="x", jobDefinition="example",
                                                            jobQueue="arn:aws:batch:us-west-2:123456789012:job-queue/default"),
        "unknown compute environment in order": lambda: b.create_job_queue(
            jobQueueName="errq", priority=1, computeEnvironmentOrder=[{"order": 1, "computeEnvironment": "nope"}]),
        "tag a missing resource": lambda: b.tag_resource(
            resourceArn="arn:aws:batch:us-east-1:123456789012:job-queue/nope", tags={"a": "b"}),
        "service role not a role": lambda: b.create_compute_environment(
            computeEnvironmentName="errce", type="MANAGED", serviceRole="arn:aws:iam::123456789012:user/bob",
            computeResources={"type": "EC2", "maxvCpus": 4, "instanceTypes": ["local"], "subnets": ["subnet-1"]}),
        "signed for another region": lambda: client("us-east-2").describe_job_queues(),
    }
    out = {}
    for name, call in cases.items():
        try:
            call()
            out[name] = {"status": 200}
        except ClientError as e:
            out[name] = {"status": e.response["ResponseMetadata"]["HTTPStatusCode"],
                         "code": e.response["Error"]["Code"], "message": e.response["Error"]["Message"]}
    # Nothing the refused calls named exists.
    out["left behind"] = {
        "queues": [q["jobQueueName"] for q in b.describe_job_queues(jobQueues=["errq"])["jobQueues"]],
        "computeEnvironments": [c["computeEnvironmentName"] for c in
                                b.describe_compute_environments(computeEnvironments=["errce"])["computeEnvironments"]],
        "jobs": [j["jobId"] for j in b.list_jobs(jobQueue="default", filters=[{"name": "JOB_NAME", "values": ["x"]}])["jobSummaryList"]],
    }
    return out


SCENARIOS = {"shapes": shapes, "identical": identical, "deregister": deregister, "errors": errors}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in SCENARIOS:
        raise SystemExit(f"usage: {sys.argv[0]} {'|'.join(SCENARIOS)}")
    json.dump(SCENARIOS[sys.argv[1]](), sys.stdout)
