// Compiled with `tsc --strict` against the types openapi-typescript generates from
// api_spec/openapi.json (tests/test_typescript_client.py). It fails when the spec stops
// letting a typed client send a check located by a GeoJSON Point, or read a county's
// cells and their polygons, without a cast.
import type { components, paths } from "./generated/foodgrid";

type CheckCreate = components["schemas"]["CheckCreate"];
type CellList =
  paths["/api/v1/cells"]["get"]["responses"][200]["content"]["application/geo+json"];
type Position = components["schemas"]["GeoJSONPoint"]["coordinates"];

export const check: CheckCreate = {
  id: "8d3e2f4a-5b6c-4d7e-8f90-a1b2c3d4e5f6",
  facility_id: "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9",
  template_code: "catering-routine",
  template_version: 1,
  results: [{ item: "C01", result: "pass", note: "" }],
  note: "",
  started_at: "2026-03-02T09:00:00+08:00",
  finished_at: "2026-03-02T09:40:00+08:00",
  location: { type: "Point", coordinates: [114.5049, 37.0703] },
  location_accuracy_m: 8,
  crs: "gcj02",
};

/** Code and outer ring of every cell: what a map draws. */
export function outlines(cells: CellList): { code: string; ring: Position[] }[] {
  return (cells.features ?? []).flatMap((feature) => {
    const geometry = feature.geometry;
    if (geometry === undefined) return [];
    const ring: Position[] =
      geometry.type === "Polygon" ? geometry.coordinates[0] : geometry.coordinates[0][0];
    return [{ code: feature.properties?.code ?? "", ring }];
  });
}
