"""Lambda wiring only: every decision lives in chalicelib/."""
from chalice import Chalice

from chalicelib import registry, runtime

app = Chalice(app_name="monocyte")


# The pattern of the deploy-time settings: Chalice loads this module with the stage's
# environment (.chalice/config.json), so MONOCYTE_ALLOWED_REGIONS decides it.
@app.on_cw_event(registry.event_pattern(), name="reap")
def reap(event):
    return runtime.reap(event.to_dict())


# A malformed envelope must reach the reaper (which logs and ignores it), not
# fail in Chalice's own wrapper.
reap.event_class = runtime.RawEvent


@app.schedule(runtime.scan_schedule(), name="nightly_scan")
def nightly_scan(event):
    return runtime.nightly_scan()


@app.on_sqs_message(queue=runtime.SCAN_QUEUE, batch_size=1, name="scan_unit")
def scan_unit(event):
    runtime.scan_unit(event)


@app.schedule(runtime.summary_schedule(), name="nightly_summary")
def nightly_summary(event):
    return runtime.nightly_summary()


@app.schedule(runtime.report_schedule(), name="monthly_report")
def monthly_report(event):
    return runtime.monthly_report()
