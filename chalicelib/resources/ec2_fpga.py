"""Amazon FPGA images (AFIs): an FPGA design built from a checkpoint in S3.

CloudFormation has no type for them; ``AWS::EC2::FpgaImage`` follows its naming
scheme, as ``ec2_images`` does for AMIs and snapshots. CopyFpgaImage is sent to the
destination region's endpoint, so CloudTrail logs it there (``awsRegion``) and names
the copy in ``responseElements``; the source AFI (``requestParameters``'
sourceFpgaImageId, in sourceRegion) is never a target. CreateFpgaImage makes one
from a design checkpoint in an S3 bucket, which is never a target either.

Only the account's own AFIs are listed: AWS Marketplace and shared AFIs are not ours.
DeleteFpgaImage removes the AFI from its region only; its global id (agfi-…) stays
valid where copies of it remain.
"""
from __future__ import annotations

from chalicelib.registry import CreateEvent, Listing, Live, ResourceType, tag_dict, utc_iso

SOURCE = "ec2.amazonaws.com"
NOT_FOUND = ("InvalidFpgaImageID.NotFound", "InvalidFpgaImageID.Malformed")


def inspect_fpga_image(client, fpga_image_id: str) -> Live | None:
    found = client.describe_fpga_images(FpgaImageIds=[fpga_image_id])["FpgaImages"]
    if not found:
        return None
    return Live(created=utc_iso(found[0].get("CreateTime")),
                tags=tag_dict(found[0].get("Tags")))


def delete_fpga_image(client, fpga_image_id: str, live: Live, force: bool) -> list[str]:
    client.delete_fpga_image(FpgaImageId=fpga_image_id)
    return []


TYPES = (
    ResourceType(
        cfn_type="AWS::EC2::FpgaImage",
        service="ec2",
        events=(
            # The copy, made in awsRegion; requestParameters name the source.
            CreateEvent(SOURCE, "CopyFpgaImage", "detail.responseElements.fpgaImageId"),
            CreateEvent(SOURCE, "CreateFpgaImage", "detail.responseElements.fpgaImageId"),
        ),
        inspect=inspect_fpga_image,
        delete=delete_fpga_image,
        listing=Listing("describe_fpga_images", "FpgaImages[]", "FpgaImageId",
                        created="CreateTime", params={"Owners": ["self"]}),
        actions=("ec2:DescribeFpgaImages", "ec2:DeleteFpgaImage"),
        not_found=NOT_FOUND,
    ),
)
