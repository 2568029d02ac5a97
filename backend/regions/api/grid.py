"""The grid: cells (GeoJSON), generation, locating, and who is responsible for each cell."""
from __future__ import annotations

from flask import current_app
from flask.views import MethodView

from backend.auth.guard import current_actor
from backend.common.blueprint import Blueprint
from backend.common.features import GEOJSON, feature_collection_page, served_as_geojson
from backend.common.geo import to_wgs84_point
from backend.common.pagination import PAGE_DEFAULTS
from backend.extensions import db
from backend.regions import assignments, cells
from backend.regions.grid_schemas import (
    AssignmentSchema,
    BalanceResultSchema,
    BalanceSchema,
    BulkResultSchema,
    BulkSchema,
    CellCollectionSchema,
    CellCreateSchema,
    CellFeatureSchema,
    CellImportSchema,
    CellQueryArgsSchema,
    GeneratedSchema,
    GenerateSchema,
    GridValidationSchema,
    HistoryArgsSchema,
    LocateArgsSchema,
    LocatedSchema,
    MoveSchema,
    RegionCellsArgsSchema,
    RetireSchema,
    WorkloadSchema,
)

blp = Blueprint("grid", __name__, description="Grid cells and the inspectors responsible for them.")


@blp.route("/cells")
class Cells(MethodView):
    @served_as_geojson
    @blp.arguments(CellQueryArgsSchema, location="query")
    @blp.response(200, CellCollectionSchema, content_type=GEOJSON)
    @blp.paginate(**PAGE_DEFAULTS)
    def get(self, args, pagination_parameters):
        """Cells as a GeoJSON FeatureCollection (inspectors: their own cells)."""
        if "bbox" in args:
            args["bbox"] = [float(part) for part in args["bbox"].split(",")]
        return feature_collection_page(cells.cells_query(current_actor(), **args), pagination_parameters)

    @blp.forbidden()
    @blp.arguments(CellCreateSchema)
    @blp.response(201, CellFeatureSchema)
    @blp.alt_response(409, description="Overlaps an active cell; the overlaps are listed")
    def post(self, data):
        """Draw one cell."""
        cell = cells.create_cell(current_actor(), **data)
        db.session.commit()
        return cell


@blp.route("/regions/<string:code>/cells")
class RegionCells(MethodView):
    @served_as_geojson
    @blp.arguments(RegionCellsArgsSchema, location="query")
    @blp.response(200, CellCollectionSchema, content_type=GEOJSON)
    @blp.alt_response(404, description="No such region")
    @blp.alt_response(422, description="More cells than REGION_CELLS_MAX: page /cells by bbox")
    def get(self, args, code):
        """A region's cells (and those of the regions under it) in one FeatureCollection, for maps."""
        return cells.region_cells(current_actor(), code, status=args["status"],
                                  limit=current_app.config["REGION_CELLS_MAX"])


@blp.route("/cells/import")
class CellImport(MethodView):
    @blp.forbidden()
    @blp.arguments(CellImportSchema)
    @blp.response(201, CellFeatureSchema(many=True))
    def post(self, data):
        """Import a FeatureCollection of hand-drawn cells: all or nothing, every problem reported."""
        features = [((feature.get("properties") or {}).get("name"), feature["geometry"])
                    for feature in data["features"]]
        created = cells.import_cells(current_actor(), region_code=data["region_code"], features=features)
        db.session.commit()
        return created


@blp.route("/cells/generate")
class CellGeneration(MethodView):
    @blp.forbidden()
    @blp.arguments(GenerateSchema)
    @blp.response(200, GeneratedSchema)
    def post(self, data):
        """Cut a region into square or H3 cells: a preview, or saved with `commit: true`."""
        size = data.get("side_m") if data["method"] == "square" else data.get("resolution")
        result = cells.generate_cells(current_actor(), region_code=data["region_code"], method=data["method"],
                                      size=size, commit=data["commit"], replace=data["replace"])
        db.session.commit()
        return result


@blp.route("/regions/<string:code>/grid/validation")
class RegionGridValidation(MethodView):
    @blp.forbidden()
    @blp.response(200, GridValidationSchema)
    def get(self, code):
        """Check a region's grid: gaps in its coverage and overlaps between its active cells (m², where)."""
        return cells.validate_region_grid(current_actor(), code)


@blp.route("/cells/locate")
class Locate(MethodView):
    @blp.forbidden()
    @blp.arguments(LocateArgsSchema, location="query")
    @blp.response(200, LocatedSchema)
    def get(self, args):
        """The active cell covering a point (WGS-84 or GCJ-02) and its current inspectors."""
        point = to_wgs84_point(args["lon"], args["lat"], args["crs"])
        return assignments.locate_with_staff(current_actor(), point)


@blp.route("/cells/<uuid:cell_id>")
class CellById(MethodView):
    @blp.etag
    @blp.response(200, CellFeatureSchema)
    def get(self, cell_id):
        """One cell with its current staff."""
        return cells.get_cell(current_actor(), cell_id)


@blp.route("/cells/<uuid:cell_id>/retire")
class CellRetirement(MethodView):
    @blp.forbidden()
    @blp.arguments(RetireSchema)
    @blp.response(200, CellFeatureSchema)
    def post(self, data, cell_id):
        """Retire a cell: it stays in history; its staff is released and its facilities re-derived."""
        actor = current_actor()
        cell = cells.retire_cell(actor, cells.get_cell(actor, cell_id), data["reason"])
        db.session.commit()
        return cell


@blp.route("/cells/<uuid:cell_id>/assignments")
class CellAssignments(MethodView):
    @blp.arguments(HistoryArgsSchema, location="query")
    @blp.response(200, AssignmentSchema(many=True))
    def get(self, args, cell_id):
        """Who was responsible for the cell: all history, or at one moment with `at`."""
        return assignments.assignment_history(current_actor(), cell_id, args.get("at"))

    @blp.forbidden()
    @blp.arguments(MoveSchema)
    @blp.response(200, AssignmentSchema(many=True))
    def post(self, data, cell_id):
        """Set the lead, add a member or remove someone; returns the current staff."""
        staff = assignments.change_assignment(current_actor(), assignments.Move(cell_id=cell_id, **data))
        db.session.commit()
        return staff


@blp.route("/assignments/bulk")
class BulkAssignments(MethodView):
    @blp.forbidden()
    @blp.arguments(BulkSchema)
    @blp.response(200, BulkResultSchema)
    def post(self, data):
        """Many moves at once, all or none."""
        applied = assignments.apply_moves(current_actor(), [assignments.Move(**move) for move in data["moves"]])
        db.session.commit()
        return {"applied": applied}


@blp.route("/assignments/balance")
class Balance(MethodView):
    @blp.forbidden()
    @blp.arguments(BalanceSchema)
    @blp.response(200, BalanceResultSchema)
    def post(self, data):
        """Propose leads that even out workload with contiguous areas; applied only with `apply: true`."""
        result = assignments.balance_region(current_actor(), **data)
        db.session.commit()
        return result


@blp.route("/inspectors/<uuid:inspector_id>/workload")
class Workload(MethodView):
    @blp.response(200, WorkloadSchema)
    def get(self, inspector_id):
        """An inspector's cells, facilities by kind and risk level, and visits required per year."""
        return assignments.inspector_workload(current_actor(), inspector_id)
